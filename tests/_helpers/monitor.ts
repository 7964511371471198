/**
 * Config folders for monitor tests: the notify config of
 * tests/_helpers/notify.ts plus a `[monitor]` section following
 * `<dir>/Fusion.log` with a short poll.
 *
 * @module
 */
import { join } from "node:path";
import { writeNotifyConfig } from "./notify.ts";

/**
 * Writes `<dir>/config.toml` for the SMTP server on `port`; returns it and the log's path.
 * `rotation_grace_seconds` is the default unless given.
 */
export async function writeMonitorConfig(
  dir: string,
  options: {
    readonly port: number;
    readonly pollSeconds?: number;
    readonly rotationGraceSeconds?: number;
  },
): Promise<{ config: string; log: string }> {
  const config = await writeNotifyConfig(dir, { port: options.port });
  const log = join(dir, "Fusion.log");
  const lines = [
    "[monitor]",
    `log_path = ${JSON.stringify(log)}`,
    `poll_seconds = ${options.pollSeconds ?? 0.05}`,
    ...(options.rotationGraceSeconds === undefined
      ? []
      : [`rotation_grace_seconds = ${options.rotationGraceSeconds}`]),
  ];
  await Deno.writeTextFile(config, `${lines.join("\n")}\n`, { append: true });
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
