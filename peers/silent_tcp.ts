/**
 * A dead endpoint, for real: a TCP server on 127.0.0.1 that accepts every
 * connection and then never reads, answers or closes it, as an S3 endpoint
 * behind a hung load balancer or a half-open firewall does. Test code.
 *
 * @module
 */

/** A running silent server. */
export interface SilentServer {
  /** `http://127.0.0.1:PORT`: use it as the S3 endpoint. */
  readonly endpoint: string;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Closes the listener and every connection it holds. */
  stop(): Promise<void>;
}

/** Starts a server that accepts and stays silent. */
export function startSilentServer(): SilentServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held = new Set<Deno.Conn>();
  let accepted = 0;
  const accepting = (async () => {
    try {
      for await (const connection of listener) {
        accepted++;
        held.add(connection);
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.BadResource)) throw error;
    }
  })();
  return {
    endpoint: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    get accepted() {
      return accepted;
    },
    async stop() {
      listener.close();
      for (const connection of held) {
        try {
          connection.close();
        } catch {
          // already closed by the client
        }
      }
      await accepting;
    },
  };
}
