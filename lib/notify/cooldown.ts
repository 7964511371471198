/**
 * The `toolkit_error` rate limit: a message is emailed at most once per
 * `toolkit_error_cooldown_seconds`. The times of sent messages persist in
 * `<config dir>/state/toolkit_error_cooldown.json`, so scheduled runs a few
 * minutes apart do not email the same warning again; the file is read
 * before and rewritten after every batch, so two processes (a backup run
 * beside `monitor tail`) share it. Planning is pure; the file helpers never
 * throw and return a problem to log instead.
 *
 * @module
 */
import { join } from "node:path";
import { atomicWriteFile } from "../fs/mod.ts";

/** The cooldown file in the config folder's `state/`. */
export function cooldownFilePath(configDir: string): string {
  return join(configDir, "state", "toolkit_error_cooldown.json");
}

/** Dedup key of a message: whitespace collapsed, the first 200 characters. */
export function cooldownKey(message: string): string {
  return message.replace(/\s+/g, " ").trim().slice(0, 200);
}

/** When each key was last emailed, in epoch milliseconds. */
export type SentTimes = Map<string, number>;

/** The split of a batch into what to email and what to hold back. */
export interface CooldownPlan<T> {
  readonly send: T[];
  /** Repeats within the batch, and messages emailed less than the cooldown ago. */
  readonly suppressed: T[];
}

/** Splits `items` by message: the first of each new message is sent, the rest held back (pure). */
export function planCooldown<T extends { readonly message: string }>(
  items: readonly T[],
  sent: ReadonlyMap<string, number>,
  now: number,
  cooldownSeconds: number,
): CooldownPlan<T> {
  const send: T[] = [];
  const suppressed: T[] = [];
  const taken = new Set<string>();
  for (const item of items) {
    const key = cooldownKey(item.message);
    const last = sent.get(key);
    if (taken.has(key) || (last !== undefined && now - last < cooldownSeconds * 1000)) {
      suppressed.push(item);
    } else {
      taken.add(key);
      send.push(item);
    }
  }
  return { send, suppressed };
}

/** `sent` without the entries whose cooldown is over (pure). */
export function pruneSentTimes(
  sent: ReadonlyMap<string, number>,
  now: number,
  cooldownSeconds: number,
): SentTimes {
  return new Map([...sent].filter(([, time]) => now - time < cooldownSeconds * 1000));
}

/** Reads the cooldown file; a missing file is empty, a damaged one is empty with a problem. */
export async function readSentTimes(file: string): Promise<{ sent: SentTimes; problem?: string }> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { sent: new Map() };
    return { sent: new Map(), problem: `cannot read ${file}: ${(error as Error).message}` };
  }
  try {
    const document = JSON.parse(text) as { sent?: unknown };
    const sent: SentTimes = new Map();
    if (typeof document.sent === "object" && document.sent !== null) {
      for (const [key, value] of Object.entries(document.sent)) {
        const time = typeof value === "string" ? Date.parse(value) : Number.NaN;
        if (!Number.isNaN(time)) sent.set(key, time);
      }
    }
    return { sent };
  } catch {
    return { sent: new Map(), problem: `${file} is not valid JSON; it will be rewritten` };
  }
}

/** Writes `sent` atomically, creating `state/`; returns a problem instead of throwing. */
export async function writeSentTimes(
  file: string,
  sent: ReadonlyMap<string, number>,
): Promise<string | undefined> {
  const document = {
    sent: Object.fromEntries([...sent].map(([key, time]) => [key, new Date(time).toISOString()])),
  };
  try {
    await Deno.mkdir(join(file, ".."), { recursive: true });
    await atomicWriteFile(file, `${JSON.stringify(document, null, 2)}\n`);
    return undefined;
  } catch (error) {
    return `cannot write ${file}: ${(error as Error).message}`;
  }
}
