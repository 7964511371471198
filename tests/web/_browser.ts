/**
 * Real peers for the validator page's tests: Debian's Chromium driven by
 * playwright-core, and a static file server on 127.0.0.1 started by the test.
 *
 * @module
 */
import { extname, join } from "node:path";
import type { BrowserContext } from "playwright-core";
import { withTempDir } from "../_helpers/temp.ts";

/** Debian's `chromium` package; `.ci/run` installs it when missing. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/** The machine has no network: keep Chromium from trying to reach one. */
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
 * Runs `body` with a fresh headless Chromium (a new, empty profile), closed
 * and removed afterwards.
 *
 * @throws {Error} when Chromium is not installed: the test fails, it does not skip.
 */
export async function withChromium<T>(body: (context: BrowserContext) => Promise<T>): Promise<T> {
  try {
    await Deno.stat(CHROMIUM_PATH);
  } catch {
    throw new Error(
      `${CHROMIUM_PATH} is missing: install Debian's chromium ` +
        "(apt-get -o DPkg::Lock::Timeout=900 install -y chromium; .ci/run does this)",
    );
  }
  const { chromium } = await loadPlaywright();
  return await withTempDir(async (profile) => {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1024, height: 900 },
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
