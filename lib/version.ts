/**
 * The program version. deno.json is its only source: `deno compile` embeds
 * this static JSON import, so the exe reports the version it was built from.
 *
 * @module
 */
import denoJson from "../deno.json" with { type: "json" };

/** The version of fusion-toolkit, e.g. "0.1.0". */
export const VERSION: string = denoJson.version;
