/**
 * The child process of the copy cases: the backup's own copy and read-back
 * steps, called as `backup run` calls them (lib/backup/pipeline.ts), on one
 * study folder. It assesses the study (the shared assessment), plans its
 * first backup, then times the copy (`planCopy`, `requireSpace`,
 * `copyStudy`: kernel copy beside the source's hash, background flushes,
 * the journal) and the read-back (`verifyCopies`: every copy hashed again,
 * S3 part digests on a second core) with the product's settings, and prints
 * `{"copySeconds": …, "verifySeconds": …, "files": …, "bytes": …}` on
 * stdout. Its peak memory is that of these two steps of a real run.
 *
 * Usage: `deno run -A _copy_child.ts <study folder> <share root>`
 *
 * @module
 */
import { basename, join } from "node:path";
import { firstBackup, NO_PROGRESS, type StudyContext, totalBytes } from "../../lib/backup/mod.ts";
import { copyStudy, planCopy, ShareWrites } from "../../lib/backup/steps/copy.ts";
import { requireSpace } from "../../lib/backup/steps/space.ts";
import { verifyCopies } from "../../lib/backup/steps/verify.ts";
import { readShareSpace } from "../../lib/cleanup/mod.ts";
import { parseConfig } from "../../lib/config/mod.ts";
import { backupFolder } from "../../lib/layout/mod.ts";
import { Logger } from "../../lib/log/mod.ts";
import { createS3Store } from "../../lib/storage/s3.ts";
import { assessFolder } from "../../lib/study/mod.ts";
import { sampleConfigToml } from "../sample_data.ts";

const [studyPath, share] = Deno.args;
if (studyPath === undefined || share === undefined) {
  console.error("usage: _copy_child.ts <study folder> <share root>");
  Deno.exit(2);
}
const name = basename(studyPath);
// The product's [s3] defaults (64 MiB parts from 64 MiB on); S3 itself is never asked.
const config = parseConfig(
  sampleConfigToml({
    source: join(studyPath, ".."),
    share,
    bucket: "bench",
    endpoint: "http://127.0.0.1:9",
    partMb: 64,
  }),
  join(share, "config.toml"),
  { platform: "posix", home: () => share, hostname: () => "bench" },
);
const store = createS3Store(config.s3, { credentials: { accessKeyId: "-", secretAccessKey: "-" } });
const context: StudyContext = {
  config,
  store,
  logger: new Logger(),
  progress: NO_PROGRESS,
  hostname: "bench",
  command: "fusion-toolkit",
  clock: () => new Date(),
  readSpace: readShareSpace,
  previous: undefined,
  lastComplete: undefined,
  history: [],
};
const study = assessFolder(studyPath, name);
if (study.refusal !== undefined) throw new Error(`the study is refused: ${study.refusal}`);
const work = firstBackup(study.listing);
const destination = backupFolder(share, config.backup.instrument, name);

const copyStart = performance.now();
const plan = await planCopy(undefined, work, destination, context.command);
await requireSpace(context, name, plan);
const digests = await copyStudy(
  context,
  name,
  studyPath,
  work,
  plan,
  destination,
  new ShareWrites(destination),
);
const copySeconds = (performance.now() - copyStart) / 1000;
const verifyStart = performance.now();
await verifyCopies(context, name, work, destination, digests);
const verifySeconds = (performance.now() - verifyStart) / 1000;
store.close();
console.log(JSON.stringify({
  copySeconds,
  verifySeconds,
  files: work.files.length,
  bytes: totalBytes(work.files),
}));
