/**
 * Writes a sample Fusion.log of any size for the benchmark: log4net-style
 * lines (stage moves, exposures, fluidics, autofocus warnings), a sample
 * and cycle line now and then, and every so often an ERROR entry with a
 * .NET stack trace. Deterministic, streamed in chunks (a 1 GiB log never
 * sits in memory).
 *
 * @module
 */

/** What was written. */
export interface SampleLogSummary {
  readonly bytes: number;
  readonly lines: number;
  /** ERROR/FATAL entries, each with its continuation lines. */
  readonly errorBlocks: number;
  /** How many different errors there are among them (what dedup lets through once each). */
  readonly distinctErrors: number;
}

const ROUTINE = [
  (n: number) =>
    `INFO  Akoya.Fusion.Acquisition.ScanController - Stage moved to X=${12000 + (n % 977)}.5 ` +
    `Y=${8800 + (n % 613)}.0 Z=102.3 (tile ${n % 1200} of 1200)`,
  (n: number) =>
    `DEBUG Akoya.Fusion.Imaging.Camera - Exposure ${100 + (n % 5) * 50} ms channel DAPI gain 1.0 ` +
    "temperature -10.2C",
  (n: number) =>
    `INFO  Akoya.Fusion.Fluidics.PumpController - Dispensing ${200 + (n % 7) * 10} uL buffer ` +
    "to flow cell 1",
  (n: number) =>
    `WARN  Akoya.Fusion.Imaging.Focus - Autofocus retry 1 at tile ${n % 1200} ` +
    "(score 0.42 < 0.50)",
];

const ERRORS = [
  [
    "ERROR Akoya.Fusion.Imaging.AcquisitionEngine - Exposure failed for channel CD68",
    "Akoya.Fusion.Imaging.CameraException: Frame grab timeout (DCAMERR_TIMEOUT)",
    " ---> System.IO.IOException: The semaphore timeout period has expired.",
    "   at Akoya.Fusion.Imaging.Dcam.DcamDevice.Capture(Int32 exposureMs)",
    "   --- End of inner exception stack trace ---",
    "   at Akoya.Fusion.Imaging.Camera.Capture(ChannelSettings channel)",
    "   at Akoya.Fusion.Imaging.AcquisitionEngine.<RunCycleAsync>d__31.MoveNext()",
  ],
  [
    "ERROR Akoya.Fusion.Fluidics.FluidicsController - Reagent well 12 empty (expected 250 uL)",
    "   at Akoya.Fusion.Fluidics.FluidicsController.Dispense(Int32 well, Double volumeUl)",
    "   at Akoya.Fusion.Acquisition.CycleRunner.PrepareCycle(Int32 cycle)",
  ],
  ["FATAL Akoya.Fusion.Fluidics.PumpController - Pressure sensor out of range; run paused"],
];

/** Entries between two error entries. */
const ERROR_EVERY = 25_000;
/** Entries between two cycle lines. */
const CYCLE_EVERY = 5_000;
/** Cycles per sample. */
const CYCLES_PER_SAMPLE = 40;

function pad(value: number, width = 2): string {
  return String(value).padStart(width, "0");
}

/** Writes about `targetBytes` of log to `path` (whole lines; a little more, never less). */
export async function writeSampleFusionLog(
  path: string,
  targetBytes: number,
): Promise<SampleLogSummary> {
  const encoder = new TextEncoder();
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  let bytes = 0;
  let lines = 0;
  let entries = 0;
  let errorBlocks = 0;
  let time = Date.UTC(2025, 2, 1, 8, 0, 0);
  let stampSecond = -1;
  let stampPrefix = "";
  const stamp = () => {
    time += 37;
    const second = Math.floor(time / 1000);
    if (second !== stampSecond) {
      stampSecond = second;
      const date = new Date(second * 1000);
      stampPrefix = `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-` +
        `${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:` +
        pad(date.getUTCSeconds());
    }
    return `${stampPrefix},${pad(time % 1000, 3)} [${8 + (entries % 5)}]`;
  };
  try {
    while (bytes < targetBytes) {
      const chunk: string[] = [];
      for (let count = 0; count < 20_000; count++, entries++) {
        if (entries % ERROR_EVERY === ERROR_EVERY - 1) {
          const [first, ...trace] = ERRORS[errorBlocks % ERRORS.length] ?? [];
          chunk.push(`${stamp()} ${first}`, ...trace);
          errorBlocks++;
        } else if (entries % CYCLE_EVERY === 0) {
          const cycle = Math.floor(entries / CYCLE_EVERY);
          if (cycle % CYCLES_PER_SAMPLE === 0) {
            chunk.push(
              `${stamp()} INFO  Akoya.Fusion.Acquisition.RunController - Sample name: ` +
                `S${1 + cycle / CYCLES_PER_SAMPLE}`,
            );
          }
          chunk.push(
            `${stamp()} INFO  Akoya.Fusion.Acquisition.RunController - Cycle ` +
              `${1 + (cycle % CYCLES_PER_SAMPLE)} of ${CYCLES_PER_SAMPLE}`,
          );
        } else {
          const routine = ROUTINE[entries % ROUTINE.length] as (n: number) => string;
          chunk.push(`${stamp()} ${routine(entries)}`);
        }
      }
      lines += chunk.length;
      const data = encoder.encode(`${chunk.join("\n")}\n`);
      for (let written = 0; written < data.length;) {
        written += await file.write(data.subarray(written));
      }
      bytes += data.length;
    }
  } finally {
    file.close();
  }
  return { bytes, lines, errorBlocks, distinctErrors: Math.min(errorBlocks, ERRORS.length) };
}
