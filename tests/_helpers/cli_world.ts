/**
 * A world for black-box CLI tests of the jobs (backup, cleanup): a source
 * folder, a share folder, the real S3 peer on 127.0.0.1 and a config.toml
 * pointing at them; main.ts runs with exactly the product's permissions.
 *
 * @module
 */
import { join } from "node:path";
import { type SampleConfigOptions, sampleConfigToml } from "../../scripts/sample_data.ts";
import { type S3Peer, startS3Peer } from "../../peers/s3.ts";
import { startVerifyingProxy, type VerifyingProxy } from "../../peers/verifying_proxy.ts";
import { type CliResult, PRODUCT_FLAGS, runMain } from "./cli.ts";
import { withTempDir } from "./temp.ts";

/** One test's world. */
export interface CliWorld {
  readonly dir: string;
  readonly source: string;
  readonly share: string;
  readonly config: string;
  readonly peer: S3Peer;
  /** The checksum-verifying proxy in front of the peer, which config.toml names as the endpoint. */
  readonly proxy: VerifyingProxy;
  /** Runs main.ts with `args` and `--config <config>`, the peer's credentials, the product's permissions. */
  run(...args: string[]): Promise<CliResult>;
  /**
   * Writes config.toml again, pointing at this world: `extra` appended,
   * `truenasExtra` added to `[truenas]`, `endpoint` in place of the proxy's.
   */
  writeConfig(options?: ConfigChanges): Promise<void>;
}

/** What a world's config.toml may have besides the world's folders and peer. */
export type ConfigChanges = Partial<
  Pick<SampleConfigOptions, "extra" | "truenasExtra" | "endpoint">
>;

/**
 * Runs `body` in a fresh world (`extraToml` appended to config.toml,
 * `truenasToml` added to its `[truenas]` table), torn down afterwards.
 */
export async function withCliWorld(
  body: (world: CliWorld) => Promise<void>,
  extraToml = "",
  truenasToml = "",
): Promise<void> {
  await withTempDir(async (dir) => {
    const peer = await startS3Peer();
    peer.clearRequests(); // the bucket's creation is not the tool's doing
    // S3 as it behaves (checksums verified, conditional writes enforced), not as the emulator does.
    const proxy = await startVerifyingProxy(peer.endpoint);
    try {
      const source = join(dir, "FusionData");
      const share = join(dir, "truenas");
      await Deno.mkdir(source);
      await Deno.mkdir(share);
      const config = join(dir, "config.toml");
      const writeConfig = (changes: ConfigChanges = {}) =>
        Deno.writeTextFile(
          config,
          sampleConfigToml({
            source,
            share,
            bucket: peer.bucket,
            endpoint: proxy.endpoint,
            ...changes,
          }),
        );
      await writeConfig({ extra: extraToml, truenasExtra: truenasToml });
      await body({
        dir,
        source,
        share,
        config,
        peer,
        proxy,
        run: (...args) =>
          runMain([...args, "--config", config], { permissions: PRODUCT_FLAGS, env: peer.env }),
        writeConfig,
      });
    } finally {
      await proxy.stop();
      await peer.stop();
    }
  });
}
