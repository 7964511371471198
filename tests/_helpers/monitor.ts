/**
 * Config folders for monitor tests: the notify config of
 * tests/_helpers/notify.ts plus a `[monitor]` section following
 * `<dir>/Fusion.log` with a short poll.
 *
 * @module
 */
import { join } from "node:path";
import { writeNotifyConfig } from "./notify.ts";

/** Writes `<dir>/config.toml` for the SMTP server on `port`; returns it and the log's path. */
export async function writeMonitorConfig(
  dir: string,
  options: { readonly port: number; readonly pollSeconds?: number },
): Promise<{ config: string; log: string }> {
  const config = await writeNotifyConfig(dir, { port: options.port });
  const log = join(dir, "Fusion.log");
  await Deno.writeTextFile(
    config,
    `[monitor]\nlog_path = ${JSON.stringify(log)}\npoll_seconds = ${options.pollSeconds ?? 0.05}\n`,
    { append: true },
  );
  return { config, log };
}

/** Resolves once `condition()` holds; rejects after `timeoutMs` saying what was awaited. */
export async function waitUntil(
  what: string,
  condition: () => boolean,
  timeoutMs = 30_000,
): Promise<void> {
  for (let waited = 0; !condition(); waited += 20) {
    if (waited >= timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
