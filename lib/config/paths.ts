/**
 * Path rules for config values and the default config location. Pure: the
 * platform and environment are parameters, so Windows inputs are tested on
 * Linux.
 *
 * @module
 */
import { posix, win32 } from "node:path";
import { ConfigError } from "../errors.ts";

/** The two path flavours the tool meets. */
export type PathPlatform = "windows" | "posix";

/** The running OS's path flavour. */
export function currentPlatform(): PathPlatform {
  return Deno.build.os === "windows" ? "windows" : "posix";
}

/** Reads environment variables; `Deno.env` in the program, a map in tests. */
export interface EnvReader {
  get(name: string): string | undefined;
}

/**
 * The user's home directory: `USERPROFILE` on Windows, `HOME` elsewhere.
 *
 * @throws {ConfigError} when it is not set (a task running under another
 * account), rather than silently using an empty path.
 */
export function homeDir(env: EnvReader, platform: PathPlatform): string {
  const name = platform === "windows" ? "USERPROFILE" : "HOME";
  const home = env.get(name);
  if (home === undefined || home.trim() === "") {
    throw new ConfigError(
      `cannot find the home directory (${name} is not set); pass --config PATH explicitly`,
    );
  }
  return normalizePath(home, platform);
}

/** `~/.config/fusion-toolkit`, where config.toml, smtp.env, recipients/, state/ and logs/ live. */
export function defaultConfigDir(env: EnvReader, platform: PathPlatform): string {
  const api = platform === "windows" ? win32 : posix;
  return api.join(homeDir(env, platform), ".config", "fusion-toolkit");
}

/** `~/.config/fusion-toolkit/config.toml`. */
export function defaultConfigPath(env: EnvReader, platform: PathPlatform): string {
  const api = platform === "windows" ? win32 : posix;
  return api.join(defaultConfigDir(env, platform), "config.toml");
}

/**
 * Normalises a path written by a person: either slash works, `~` is the home
 * directory, and a relative path is taken relative to `baseDir` (the config
 * file's folder). Windows results use `\`, keep drive letters and UNC roots
 * (`\\truenas\share\`); POSIX results use `/`. No trailing separator except on
 * a root (`C:\`, `\\server\share\`, `/`).
 */
export function normalizePath(
  raw: string,
  platform: PathPlatform,
  options: { baseDir?: string; home?: string } = {},
): string {
  const api = platform === "windows" ? win32 : posix;
  let path = raw.trim();
  if (options.home !== undefined && (path === "~" || /^~[\\/]/.test(path))) {
    path = options.home + path.slice(1);
  }
  path = platform === "windows" ? path.replaceAll("/", "\\") : path.replaceAll("\\", "/");
  // A bare drive letter means that drive's root, not its current directory.
  if (/^[A-Za-z]:$/.test(path)) path += platform === "windows" ? "\\" : "/";
  path = api.normalize(path);
  // A drive-letter path is absolute even when read on POSIX (the template's Windows defaults).
  const absolute = api.isAbsolute(path) || /^[A-Za-z]:[\\/]/.test(path);
  if (!absolute && options.baseDir !== undefined) {
    path = api.join(options.baseDir, path);
  }
  const root = api.parse(path).root;
  while (path.length > root.length && /[\\/]$/.test(path)) path = path.slice(0, -1);
  return path;
}

/**
 * Whether the absolute path `inner` is `outer` or lies inside it, compared as
 * `platform` does (Windows ignores case).
 */
export function isSameOrInside(inner: string, outer: string, platform: PathPlatform): boolean {
  const api = platform === "windows" ? win32 : posix;
  const fold = (path: string) => platform === "windows" ? path.toLowerCase() : path;
  const between = api.relative(fold(outer), fold(inner));
  return between === "" || (!api.isAbsolute(between) && between.split(api.sep)[0] !== "..");
}
