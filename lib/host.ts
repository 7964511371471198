/**
 * This PC's name, as alerts and the share's job log give it.
 *
 * @module
 */

/** The host name, or `unknown host` when the system will not tell it. */
export function hostName(): string {
  try {
    return Deno.hostname();
  } catch {
    return "unknown host";
  }
}
