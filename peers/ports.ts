/**
 * A port nobody answers on, for the tests of a server that is down (SMTP,
 * S3).
 *
 * @module
 */

/** A port on 127.0.0.1 with no server behind it (bound, then released). */
export function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** An `http://` endpoint with no server behind it. */
export function closedEndpoint(): string {
  return `http://127.0.0.1:${closedPort()}`;
}
