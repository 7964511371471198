/**
 * The `s3-upload` bench case: a generated study (one multi-GiB `.qptiff`,
 * `FUSION_BENCH_GIB` GiB, default 2, plus 2,000 small files in `.temp`)
 * uploaded to the local S3 peer by lib/storage and by `aws s3 cp
 * --recursive`, with the same part size (10 MiB: the peer takes at most
 * 11 MiB a request) and concurrency (4), each against a fresh peer running
 * in its own process. Then our upload once more with 64 MiB parts to a
 * discarding sink, to show memory does not grow with the part size.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { Config } from "../../lib/config/mod.ts";
import { s3Key } from "../../lib/layout/mod.ts";
import { choosePartSize, createS3Store, type S3Store } from "../../lib/storage/s3.ts";
import type { BenchCase } from "./_case.ts";
import { type MeasuredRun, runMeasured } from "./_rss.ts";

const MiB = 1024 * 1024;
const SMALL_FILES = 2000;
const PART_MB = 10;
const CONCURRENCY = 4;
const CREDENTIALS = { accessKeyId: "fusion-bench", secretAccessKey: "fusion-bench" };

interface GeneratedFile {
  readonly path: string;
  readonly relativePath: string;
  readonly size: number;
  readonly sha256Hex: string;
  readonly partDigests?: readonly Uint8Array[];
}

/** Writes the study; hashes each file (and the big one's parts) as the copy step would. */
async function generateStudy(root: string, bigBytes: number): Promise<GeneratedFile[]> {
  const scan = join(root, "Scan1");
  await Deno.mkdir(join(scan, ".temp"), { recursive: true });
  const block = new Uint8Array(MiB);
  for (let offset = 0; offset < block.length; offset += 65536) {
    crypto.getRandomValues(block.subarray(offset, offset + 65536));
  }
  const files: GeneratedFile[] = [];

  const bigPath = join(scan, "big.qptiff");
  const partSize = choosePartSize(bigBytes, PART_MB * MiB);
  const full = createHash("sha256");
  const parts: Uint8Array[] = [];
  let part = createHash("sha256");
  {
    using file = await Deno.open(bigPath, { write: true, create: true, truncate: true });
    for (let written = 0; written < bigBytes;) {
      // A counter in every MiB keeps parts distinct.
      new DataView(block.buffer).setFloat64(0, written);
      const chunk = block.subarray(0, Math.min(block.length, bigBytes - written));
      full.update(chunk);
      part.update(chunk);
      let offset = 0;
      while (offset < chunk.length) offset += await file.write(chunk.subarray(offset));
      written += chunk.length;
      if (written % partSize === 0 || written === bigBytes) {
        parts.push(new Uint8Array(part.digest()));
        part = createHash("sha256");
      }
    }
  }
  files.push({
    path: bigPath,
    relativePath: relative(root, bigPath),
    size: bigBytes,
    sha256Hex: full.digest("hex"),
    partDigests: parts,
  });

  for (let index = 0; index < SMALL_FILES; index++) {
    const size = 1024 + (index * 7919) % (63 * 1024);
    const bytes = block.subarray(index % 512, (index % 512) + size);
    const path = join(scan, ".temp", `t${String(index).padStart(4, "0")}.bin`);
    await Deno.writeFile(path, bytes);
    files.push({
      path,
      relativePath: relative(root, path),
      size,
      sha256Hex: createHash("sha256").update(bytes).digest("hex"),
    });
  }
  return files;
}

export interface PeerProcess {
  readonly endpoint: string;
  readonly bucket: string;
  stop(): Promise<void>;
}

/** Starts peers/s3_server.ts in a child process (its memory is not ours). */
export async function startPeerProcess(): Promise<PeerProcess> {
  const script = fileURLToPath(new URL("../../peers/s3_server.ts", import.meta.url));
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net=127.0.0.1", script],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the S3 peer process ended before it was ready");
    text += value;
  }
  const { endpoint, bucket } = JSON.parse(text.split("\n")[0] ?? "{}");
  return {
    endpoint,
    bucket,
    stop: async () => {
      await child.stdin.close();
      await reader.cancel();
      await child.status;
    },
  };
}

function settingsFor(endpoint: string, bucket: string, partSizeMb: number): Config["s3"] {
  return {
    bucket,
    prefix: "ours",
    region: "us-east-1",
    endpoint,
    forcePathStyle: true,
    storageClass: "STANDARD",
    multipartThresholdMb: partSizeMb,
    partSizeMb,
    concurrency: CONCURRENCY,
    connectTimeoutSeconds: 10,
    idleTimeoutSeconds: 15,
  };
}

/** Our upload of the study: the big file in parts, the small ones `CONCURRENCY` at a time. */
async function uploadStudy(store: S3Store, files: readonly GeneratedFile[], prefix: string) {
  const [big, ...small] = files;
  if (big !== undefined) {
    await store.uploadFile({ key: s3Key(prefix, big.relativePath), ...big });
  }
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < small.length) {
      const file = small[next++] as GeneratedFile;
      await store.uploadFile({ key: s3Key(prefix, file.relativePath), ...file });
    }
  }));
}

/** Checks that the peer holds every file with its size under `prefix`. */
async function checkUploaded(
  peer: PeerProcess,
  files: readonly GeneratedFile[],
  prefix: string,
): Promise<string> {
  const store = createS3Store(settingsFor(peer.endpoint, peer.bucket, PART_MB), {
    credentials: CREDENTIALS,
  });
  try {
    const sizes = await store.listSizes(`${prefix}/`);
    const missing = files.filter((file) =>
      sizes.get(s3Key(prefix, file.relativePath)) !== file.size
    );
    return missing.length === 0
      ? `all ${files.length} objects present with their sizes`
      : `${missing.length} objects missing or wrong size, e.g. ${missing[0]?.relativePath}`;
  } finally {
    store.close();
  }
}

interface Row {
  readonly tool: string;
  readonly seconds: number;
  readonly peakMiB: number | undefined;
  readonly check: string;
}

/** Our upload, run as `deno run scripts/bench/s3.ts upload ...` so its memory is its own. */
async function runOurs(
  endpoint: string,
  bucket: string,
  partSizeMb: number,
  listFile: string,
): Promise<{ success: boolean; seconds: number; peakMiB: number | undefined }> {
  return await runMeasured(Deno.execPath(), [
    "run",
    "--allow-read",
    "--allow-env",
    "--allow-net=127.0.0.1",
    "--allow-sys=osRelease",
    fileURLToPath(import.meta.url),
    "upload",
    endpoint,
    bucket,
    String(partSizeMb),
    listFile,
  ]);
}

async function benchOurs(files: readonly GeneratedFile[], listFile: string): Promise<Row> {
  const peer = await startPeerProcess();
  try {
    const run = await runOurs(peer.endpoint, peer.bucket, PART_MB, listFile);
    if (!run.success) throw new Error("our upload failed");
    return { tool: "fusion-toolkit", ...run, check: await checkUploaded(peer, files, "ours") };
  } finally {
    await peer.stop();
  }
}

export async function findAws(): Promise<string | undefined> {
  for (const candidate of ["/usr/bin/aws", "aws"]) {
    try {
      const probe = await new Deno.Command(candidate, {
        args: ["--version"],
        stdout: "null",
        stderr: "null",
      }).output();
      if (probe.success) return candidate;
    } catch {
      // not there
    }
  }
  console.log("aws CLI not found; installing the Debian package awscli ...");
  try {
    const install = await new Deno.Command("apt-get", {
      args: ["-o", "DPkg::Lock::Timeout=900", "install", "-y", "awscli"],
      stdout: "null",
      stderr: "inherit",
    }).output();
    if (install.success) return "/usr/bin/aws";
  } catch {
    // no apt-get
  }
  return undefined;
}

/**
 * `aws s3 cp --recursive <from> s3://<bucket>/<prefix>/` to `peer` with our
 * part size and concurrency (its config file is written in `configDir`).
 */
export async function awsCopy(
  aws: string,
  from: string,
  peer: PeerProcess,
  prefix: string,
  configDir: string,
  partMb = PART_MB,
): Promise<MeasuredRun> {
  const configFile = join(configDir, "aws-config");
  await Deno.writeTextFile(
    configFile,
    [
      "[default]",
      "region = us-east-1",
      "s3 =",
      `  max_concurrent_requests = ${CONCURRENCY}`,
      `  multipart_threshold = ${partMb}MB`,
      `  multipart_chunksize = ${partMb}MB`,
      "  addressing_style = path",
      "",
    ].join("\n"),
  );
  const run = await runMeasured(aws, [
    "s3",
    "cp",
    "--recursive",
    "--only-show-errors",
    "--endpoint-url",
    peer.endpoint,
    from,
    `s3://${peer.bucket}/${prefix}/`,
  ], {
    AWS_CONFIG_FILE: configFile,
    AWS_SHARED_CREDENTIALS_FILE: join(configDir, "none"),
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: "true",
  });
  if (!run.success) throw new Error("aws s3 cp failed");
  return run;
}

async function benchAws(
  aws: string,
  files: readonly GeneratedFile[],
  root: string,
  configDir: string,
): Promise<Row> {
  const peer = await startPeerProcess();
  try {
    const run = await awsCopy(aws, root, peer, "aws", configDir);
    return { tool: "aws s3 cp", ...run, check: await checkUploaded(peer, files, "aws") };
  } finally {
    await peer.stop();
  }
}

/**
 * A sink that speaks just enough S3 multipart to take any part size and
 * discards the bytes: used only to measure OUR memory with 64 MiB parts,
 * which the emulator (11 MiB per request) cannot take. Not a correctness peer.
 */
function startDiscardingSink(): { endpoint: string; stop(): Promise<void> } {
  const xml = (body: string) =>
    new Response(`<?xml version="1.0" encoding="UTF-8"?>${body}`, {
      headers: { "content-type": "application/xml" },
    });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const url = new URL(request.url);
      if (request.body !== null) {
        for await (const _ of request.body) {
          // discarded
        }
      }
      if (request.method === "GET" && url.searchParams.has("uploads")) {
        return xml(
          "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated></ListMultipartUploadsResult>",
        );
      }
      if (request.method === "POST" && url.searchParams.has("uploads")) {
        return xml(
          "<InitiateMultipartUploadResult><UploadId>sink</UploadId></InitiateMultipartUploadResult>",
        );
      }
      if (request.method === "PUT") return new Response(null, { headers: { etag: '"sink"' } });
      if (request.method === "POST") {
        return xml("<CompleteMultipartUploadResult></CompleteMultipartUploadResult>");
      }
      return new Response(null, { status: 400 });
    },
  );
  return { endpoint: `http://127.0.0.1:${server.addr.port}`, stop: () => server.shutdown() };
}

function rate(bytes: number, seconds: number): string {
  return (bytes / 1e6 / seconds).toFixed(0);
}

interface ListedFile {
  readonly path: string;
  readonly relativePath: string;
  readonly size: number;
  readonly sha256Hex: string;
  readonly partDigestsHex?: readonly string[];
}

async function writeFileList(path: string, files: readonly GeneratedFile[]): Promise<void> {
  const listed: ListedFile[] = files.map(({ partDigests, ...file }) =>
    partDigests === undefined ? file : {
      ...file,
      partDigestsHex: partDigests.map((digest) => Buffer.from(digest).toString("hex")),
    }
  );
  await Deno.writeTextFile(path, JSON.stringify(listed));
}

async function readFileList(path: string): Promise<GeneratedFile[]> {
  const listed = JSON.parse(await Deno.readTextFile(path)) as ListedFile[];
  return listed.map(({ partDigestsHex, ...file }) =>
    partDigestsHex === undefined ? file : {
      ...file,
      partDigests: partDigestsHex.map((hex) => new Uint8Array(Buffer.from(hex, "hex"))),
    }
  );
}

export const s3Upload: BenchCase = {
  name: "s3-upload",
  what: "upload of one multi-GiB qptiff (FUSION_BENCH_GIB, default 2) + 2,000 small files to the " +
    "local S3 peer, ours vs aws s3 cp (targets: at least as fast; peak RSS under 300 MB)",
  run: benchS3Upload,
};

/** Runs the case in `dir` and prints its table. */
async function benchS3Upload(dir: string): Promise<void> {
  const gib = Number(Deno.env.get("FUSION_BENCH_GIB") ?? "2");
  const bigBytes = Math.round(gib * 1024 * MiB);
  const root = join(dir, "20250101_bench_s3_upload");
  console.log(`generating ${gib} GiB + ${SMALL_FILES} small files in ${root} ...`);
  const files = await generateStudy(root, bigBytes);
  const totalBytes = files.reduce((sum, file) => sum + file.size, 0);
  const listFile = join(dir, "files.json");
  await writeFileList(listFile, files);

  const rows: Row[] = [await benchOurs(files, listFile)];
  const aws = await findAws();
  if (aws === undefined) {
    console.log("aws CLI unavailable (apt-get install awscli failed): comparison skipped");
  } else {
    rows.push(await benchAws(aws, files, root, dir));
  }
  console.log(
    `\n${files.length} files, ${(totalBytes / MiB).toFixed(0)} MiB; part size ${PART_MB} MiB, ` +
      `concurrency ${CONCURRENCY}; each tool a process of its own against a fresh peer process\n`,
  );
  console.log("| tool | seconds | MB/s | peak RSS MiB | check |");
  console.log("| --- | ---: | ---: | ---: | --- |");
  for (const row of rows) {
    console.log(
      `| ${row.tool} | ${row.seconds.toFixed(1)} | ${rate(totalBytes, row.seconds)} | ` +
        `${row.peakMiB?.toFixed(0) ?? "n/a"} | ${row.check} |`,
    );
  }
  const [ours, theirs] = rows;
  if (ours !== undefined && theirs !== undefined) {
    console.log(
      `\nspeed ratio (aws time / our time): ${(theirs.seconds / ours.seconds).toFixed(2)}x ` +
        "(target: at least 1.00)",
    );
  }

  // Memory with production-sized parts: the big file alone, parts hashed from the file.
  const [big] = files;
  if (big === undefined) return;
  const bigList = join(dir, "big.json");
  const { partDigests: _, ...bigWithoutDigests } = big;
  await writeFileList(bigList, [bigWithoutDigests]);
  const sink = startDiscardingSink();
  try {
    const run = await runOurs(sink.endpoint, "sink", 64, bigList);
    console.log(
      `our upload of the ${gib} GiB file with 64 MiB parts, concurrency ${CONCURRENCY}, part ` +
        `digests hashed from the file, to a discarding sink: ${
          rate(big.size, run.seconds)
        } MB/s, ` +
        `peak RSS ${run.peakMiB?.toFixed(0) ?? "n/a"} MiB (target: under 300 MB)`,
    );
  } finally {
    await sink.stop();
  }
}

/** Child mode: `upload <endpoint> <bucket> <partSizeMb> <files.json>`. */
async function uploadChild(args: readonly string[]): Promise<void> {
  const [endpoint, bucket, partSizeMb, listFile] = args;
  if (endpoint === undefined || bucket === undefined || listFile === undefined) {
    throw new Error("usage: s3.ts upload <endpoint> <bucket> <partSizeMb> <files.json>");
  }
  const files = await readFileList(listFile);
  const store = createS3Store(settingsFor(endpoint, bucket, Number(partSizeMb)), {
    credentials: CREDENTIALS,
  });
  try {
    await uploadStudy(store, files, "ours");
  } finally {
    store.close();
  }
}

if (import.meta.main && Deno.args[0] === "upload") await uploadChild(Deno.args.slice(1));
