/**
 * Real peers for the validator page's tests: a Chromium-based browser driven
 * by playwright-core, and a static file server on 127.0.0.1 started by the test.
 *
 * The browser is found, in order: an installed Chromium, Google Chrome or
 * Microsoft Edge (on PATH and in each OS's usual install folders); else, on
 * Linux x64, the Chromium that the npm package `@sparticuz/chromium` ships
 * (brotli-compressed inside the package), unpacked once into
 * `dist/browser/`. So `deno task test` needs no root and no apt on a machine
 * that has only Node.js and npm. Without any browser the test fails, saying
 * what to install; it never skips.
 *
 * @module
 */
import { createBrotliDecompress } from "node:zlib";
import { createReadStream, createWriteStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import { delimiter, extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BrowserContext } from "playwright-core";
import denoJson from "../../deno.json" with { type: "json" };
import { REPO_ROOT } from "../_helpers/cli.ts";
import { withTempDir } from "../_helpers/temp.ts";

/** The machine has no network: keep the browser from trying to reach one. */
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A browser to launch: its program, what to call it in messages, and environment it needs. */
export interface Browser {
  readonly executablePath: string;
  /** E.g. `/usr/bin/chromium` or `Chromium from the npm package @sparticuz/chromium@153.0.0`. */
  readonly origin: string;
  readonly env: Readonly<Record<string, string>>;
}

/** Program names of Chromium-based browsers on Linux, looked up on PATH in this order. */
const LINUX_PROGRAMS = [
  "chromium",
  "chromium-browser",
  "google-chrome",
  "google-chrome-stable",
  "microsoft-edge",
  "microsoft-edge-stable",
];

/**
 * Where an installed browser may be on `os`, in the order they are tried.
 * Pure: the environment is a parameter.
 */
export function browserCandidates(
  os: typeof Deno.build.os,
  env: { get(name: string): string | undefined },
): string[] {
  if (os === "windows") {
    const roots = [env.get("ProgramFiles"), env.get("ProgramFiles(x86)"), env.get("LOCALAPPDATA")]
      .filter((root): root is string => root !== undefined && root !== "");
    const programs = [
      ["Microsoft", "Edge", "Application", "msedge.exe"],
      ["Google", "Chrome", "Application", "chrome.exe"],
      ["Chromium", "Application", "chrome.exe"],
    ];
    return programs.flatMap((parts) => roots.map((root) => `${root}\\${parts.join("\\")}`));
  }
  if (os === "darwin") {
    return ["Google Chrome", "Chromium", "Microsoft Edge"].map((app) =>
      `/Applications/${app}.app/Contents/MacOS/${app}`
    );
  }
  const path = (env.get("PATH") ?? "").split(delimiter).filter((dir) => dir !== "");
  return [
    ...LINUX_PROGRAMS.flatMap((program) => path.map((dir) => join(dir, program))),
    "/opt/google/chrome/chrome",
    "/opt/microsoft/msedge/msedge",
  ];
}

/** The npm package that ships a Linux x64 Chromium, as deno.json pins it. */
const NPM_BROWSER = denoJson.imports["@sparticuz/chromium"].replace(/^npm:/, "");

/** Whether {@linkcode NPM_BROWSER}'s Chromium runs on this OS and CPU. */
export function npmBrowserRunsOn(os: typeof Deno.build.os, arch: typeof Deno.build.arch): boolean {
  return os === "linux" && arch === "x86_64";
}

/** The one line a test fails with when no browser can be had here. */
export function noBrowserMessage(
  os: typeof Deno.build.os,
  arch: typeof Deno.build.arch,
): string {
  const install = os === "windows"
    ? "install Microsoft Edge or Google Chrome"
    : os === "darwin"
    ? "install Google Chrome, Chromium or Microsoft Edge into /Applications"
    : "install Chromium (Debian: apt-get install chromium), Google Chrome or Microsoft Edge";
  return `no Chromium-based browser for the validator page test on ${os} ${arch}: ${install}` +
    (npmBrowserRunsOn(os, arch) ? "" : ` (the npm package ${NPM_BROWSER} runs on Linux x64 only)`);
}

async function isProgram(path: string): Promise<boolean> {
  try {
    const info = await Deno.stat(path);
    return info.isFile && (Deno.build.os === "windows" || ((info.mode ?? 0) & 0o111) !== 0);
  } catch {
    return false;
  }
}

/** The folder, in this checkout, that the npm package's Chromium is unpacked into. */
const NPM_BROWSER_DIR = join(
  REPO_ROOT,
  "dist",
  "browser",
  NPM_BROWSER.replace(/^@/, "").replace(/[@/]/g, "-"),
);

async function inflateFile(source: string, target: string): Promise<void> {
  await pipeline(
    createReadStream(source),
    createBrotliDecompress(),
    createWriteStream(target, { mode: 0o755 }),
  );
}

/** Unpacks a brotli-compressed tar (the package's libraries, fonts) with the system's tar. */
async function inflateTar(source: string, targetDir: string): Promise<void> {
  await Deno.mkdir(targetDir, { recursive: true });
  const tar = new Deno.Command("tar", {
    args: ["-x", "--no-same-owner", "-C", targetDir],
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const writer = tar.stdin.getWriter();
  const [, status] = await Promise.all([
    pipeline(createReadStream(source), createBrotliDecompress(), async (chunks) => {
      try {
        for await (const chunk of chunks) await writer.write(chunk as Uint8Array);
      } finally {
        await writer.close();
      }
    }),
    tar.output(),
  ]);
  if (!status.success) {
    throw new Error(`tar could not unpack ${source}: ${new TextDecoder().decode(status.stderr)}`);
  }
}

/**
 * The package's fonts (Open Sans) and the system's, for a machine without
 * any: the fonts.conf the package ships points at Lambda's folders.
 */
function fontsConf(dir: string): string {
  return `<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <dir>${join(dir, "fonts")}</dir>
  <dir>/usr/share/fonts</dir>
  <cachedir>${join(dir, "fonts-cache")}</cachedir>
</fontconfig>
`;
}

/**
 * The Chromium of the npm package {@linkcode NPM_BROWSER}, unpacked into
 * {@linkcode NPM_BROWSER_DIR} the first time (a few seconds), with the NSS
 * and expat libraries and the fonts it ships beside it. Unpacked into a
 * staging folder first and renamed into place, so an interrupted or
 * concurrent unpacking never leaves a half-written browser behind.
 */
async function npmBrowser(): Promise<Browser> {
  const browser = {
    executablePath: join(NPM_BROWSER_DIR, "chromium"),
    origin: `Chromium from the npm package ${NPM_BROWSER} (${NPM_BROWSER_DIR})`,
    env: {
      LD_LIBRARY_PATH: [join(NPM_BROWSER_DIR, "lib"), Deno.env.get("LD_LIBRARY_PATH")]
        .filter((part) => part !== undefined && part !== "").join(":"),
      FONTCONFIG_FILE: join(NPM_BROWSER_DIR, "fonts.conf"),
    },
  };
  if (await isProgram(browser.executablePath)) return browser;
  // Loading the package is what makes Deno download it (into its cache, with its lockfile entry).
  await import("@sparticuz/chromium");
  const bin = fileURLToPath(new URL("../bin/", import.meta.resolve("@sparticuz/chromium")));
  await Deno.mkdir(join(NPM_BROWSER_DIR, ".."), { recursive: true });
  const staging = await Deno.makeTempDir({ dir: join(NPM_BROWSER_DIR, ".."), prefix: ".unpack-" });
  try {
    await inflateFile(join(bin, "chromium.br"), join(staging, "chromium"));
    await inflateTar(join(bin, "al2023.tar.br"), staging); // lib/: NSS, NSPR, expat
    await inflateTar(join(bin, "fonts.tar.br"), staging); // fonts/
    await Deno.writeTextFile(join(staging, "fonts.conf"), fontsConf(NPM_BROWSER_DIR));
    await Deno.rename(staging, NPM_BROWSER_DIR);
  } catch (error) {
    await Deno.remove(staging, { recursive: true });
    // Another test process may have finished the same unpacking first.
    if (!(await isProgram(browser.executablePath))) throw error;
  }
  return browser;
}

/**
 * The browser the page tests use: the first installed one of
 * {@linkcode browserCandidates}, else the npm package's where it runs.
 *
 * @throws {Error} with {@linkcode noBrowserMessage} when there is none, and
 * why the npm package's could not be unpacked where it runs.
 */
export async function findBrowser(): Promise<Browser> {
  for (const candidate of browserCandidates(Deno.build.os, Deno.env)) {
    if (await isProgram(candidate)) {
      return { executablePath: candidate, origin: candidate, env: {} };
    }
  }
  const none = noBrowserMessage(Deno.build.os, Deno.build.arch);
  if (!npmBrowserRunsOn(Deno.build.os, Deno.build.arch)) throw new Error(none);
  try {
    return await npmBrowser();
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split("\n")[0];
    throw new Error(
      `${none}; the npm package ${NPM_BROWSER} could not provide one in ${NPM_BROWSER_DIR}: ${reason}`,
      { cause: error },
    );
  }
}

/**
 * Imports playwright-core. Its bundled `is-wsl` probes
 * `/proc/sys/fs/binfmt_misc/WSLInterop` when loaded, which Deno grants only
 * with --allow-all; `__IS_WSL_TEST__` (is-wsl's own switch) defers that probe
 * to the `open` helper, which launching a browser never calls.
 */
async function loadPlaywright(): Promise<typeof import("playwright-core")> {
  Deno.env.set("__IS_WSL_TEST__", "1");
  return await import("playwright-core");
}

/**
 * Runs `body` with a fresh headless Chromium-based browser (a new, empty
 * profile), closed and removed afterwards.
 *
 * @throws {Error} when no browser can be found or started: the test fails, it does not skip.
 */
export async function withChromium<T>(body: (context: BrowserContext) => Promise<T>): Promise<T> {
  const browser = await findBrowser();
  const { chromium } = await loadPlaywright();
  return await withTempDir(async (profile) => {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: browser.executablePath,
      headless: true,
      args: CHROMIUM_FLAGS,
      env: { ...Deno.env.toObject(), ...browser.env },
      viewport: { width: 1024, height: 900 },
    }).catch((error: unknown) => {
      const detail = error instanceof Error ? error.message.split("\n")[0] : String(error);
      throw new Error(`${browser.origin} did not start: ${detail}`, { cause: error });
    });
    try {
      return await body(context);
    } finally {
      await context.close();
    }
  });
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
};

/** A running static server: its origin and every path it was asked for. */
export interface StaticServer {
  readonly origin: string;
  readonly requested: readonly string[];
}

/**
 * Serves the files directly in `dir` (`/` is `index.html`) on 127.0.0.1 at a
 * free port while `body` runs; anything else is a 404.
 */
export async function withStaticServer<T>(
  dir: string,
  body: (server: StaticServer) => Promise<T>,
): Promise<T> {
  const requested: string[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const path = new URL(request.url).pathname;
      requested.push(path);
      const name = path === "/" ? "index.html" : path.slice(1);
      const type = CONTENT_TYPES[extname(name)];
      if (name.includes("/") || type === undefined) return new Response(null, { status: 404 });
      try {
        return new Response(await Deno.readFile(join(dir, name)), {
          headers: { "content-type": type },
        });
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return new Response(null, { status: 404 });
        throw error;
      }
    },
  );
  try {
    return await body({ origin: `http://127.0.0.1:${server.addr.port}`, requested });
  } finally {
    await server.shutdown();
  }
}
