/**
 * What every bench case shares: its shape, rounds, medians and paired
 * ratios, the machine's load, and dropping the page cache between rows.
 *
 * @module
 */

/** One benchmark case: prepares its data in `dir` and prints its own table rows. */
export interface BenchCase {
  readonly name: string;
  readonly what: string;
  run(dir: string): Promise<void>;
}

/** Rounds of a side-by-side case: `FUSION_BENCH_ROUNDS`, default 3. */
export function benchRounds(): number {
  const rounds = Number(Deno.env.get("FUSION_BENCH_ROUNDS") ?? "3");
  return Number.isInteger(rounds) && rounds > 0 ? rounds : 3;
}

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** `load average 1.52 0.98 0.61 on 2 cores`: other work on the machine skews every figure. */
export function loadLine(): string {
  const [one, five, fifteen] = Deno.loadavg();
  return `load average ${one?.toFixed(2)} ${five?.toFixed(2)} ${fifteen?.toFixed(2)} on ` +
    `${navigator.hardwareConcurrency} cores`;
}

/**
 * Writes dirty pages back and drops the page cache, so the next row reads
 * from the disk: true when done. It needs root and `-A` (Deno lets only
 * --allow-all write under /proc); `FUSION_BENCH_WARM=1` keeps every row warm.
 */
export async function dropPageCache(): Promise<boolean> {
  await new Deno.Command("sync").output();
  if (Deno.env.get("FUSION_BENCH_WARM") === "1") return false;
  try {
    await Deno.writeTextFile("/proc/sys/vm/drop_caches", "3\n");
    return true;
  } catch {
    return false;
  }
}
