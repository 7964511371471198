/**
 * The S3 peer as a process of its own, for `deno task bench` (and anything
 * else that must not count the emulator's memory as its own): starts the
 * peer on 127.0.0.1, prints one JSON line `{"endpoint": ..., "bucket": ...}`
 * on stdout, and stops when its stdin closes.
 *
 * Usage: `deno run --allow-net=127.0.0.1 --allow-read --allow-env peers/s3_server.ts [bucket]`
 *
 * @module
 */
import { startS3Peer } from "./s3.ts";

if (import.meta.main) {
  const peer = await startS3Peer(Deno.args[0] === undefined ? {} : { bucket: Deno.args[0] });
  console.log(JSON.stringify({ endpoint: peer.endpoint, bucket: peer.bucket }));
  // Wait for stdin to close: the parent ended or let go of us.
  for await (const _ of Deno.stdin.readable) {
    // input is ignored
  }
  await peer.stop();
}
