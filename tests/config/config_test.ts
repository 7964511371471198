import assert from "node:assert/strict";
import { join } from "node:path";
import { type Config, currentPlatform, loadConfig, parseConfig } from "../../lib/config/mod.ts";
import { ConfigError } from "../../lib/errors.ts";
import { withTempDir } from "../_helpers/temp.ts";

const MINIMAL = `
[backup]
source_root = "/data/fusion"

[truenas]
root = "/mnt/truenas/fusion-backup"

[s3]
bucket = "lab-fusion-archive"
`;

const FULL = `
[backup]
source_root = "D:/FusionData"
idle_days = 30
instrument = "fusion-02"

[truenas]
root = '\\\\truenas\\fusion-backup'
manifest_root = "//truenas/fusion-backup/ledger/"
lock_wait_minutes = 2.5

[s3]
bucket = "lab-fusion-archive"
prefix = "/fusion/raw/"
region = "us-west-2"
endpoint = "http://127.0.0.1:9000"
force_path_style = true
storage_class = "DEEP_ARCHIVE"
multipart_threshold_mb = 128
part_size_mb = 16
concurrency = 8

[cleanup]
free_threshold_pct = 12.5

[monitor]
log_path = 'C:\\ProgramData\\Akoya\\Fusion\\Logs\\Fusion.log'
poll_seconds = 0.5
sent_keep_days = 7
error = "\\\\bFATAL\\\\b"

[notify]
enabled = false
recipients_dir = "C:/lab/recipients"
toolkit_error_cooldown_seconds = 60
smtp_host = "smtp.lab.example.org"
smtp_port = 465
smtp_ca_file = "C:/lab/certs/lab-ca.pem"
from = "fusion@lab.example.org"

[hooks]
backup = ["powershell.exe", "-NoProfile", "-File", "C:/mount.ps1"]
`;

const posixContext = {
  platform: "posix" as const,
  home: () => "/home/lab",
  hostname: () => "fusion-pc",
};
const windowsContext = {
  platform: "windows" as const,
  home: () => "C:\\Users\\lab",
  hostname: () => "FUSION-PC",
};

function configError(source: string, file = "/etc/ft/config.toml"): string {
  try {
    parseConfig(source, file, posixContext);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
    assert.equal(error.exitCode, 2);
    return error.message;
  }
  assert.fail("the config was accepted");
}

Deno.test("a minimal config gets every documented default", () => {
  const config: Config = parseConfig(MINIMAL, "/etc/ft/config.toml", posixContext);
  assert.equal(config.file, "/etc/ft/config.toml");
  assert.equal(config.dir, "/etc/ft");
  assert.deepEqual(config.backup, {
    sourceRoot: "/data/fusion",
    idleDays: 14,
    instrument: "fusion-pc",
  });
  assert.deepEqual(config.truenas, {
    root: "/mnt/truenas/fusion-backup",
    manifestRoot: "/mnt/truenas/fusion-backup/_manifest",
    lockWaitMinutes: 60,
  });
  assert.deepEqual(config.s3, {
    bucket: "lab-fusion-archive",
    prefix: "",
    region: undefined,
    endpoint: undefined,
    forcePathStyle: false,
    storageClass: "STANDARD",
    multipartThresholdMb: 64,
    partSizeMb: 64,
    concurrency: 4,
    connectTimeoutSeconds: 10,
    idleTimeoutSeconds: 15,
  });
  assert.equal(config.cleanup.freeThresholdPct, 20);
  assert.equal(config.monitor.logPath, "C:/ProgramData/Akoya/Fusion/Logs/Fusion.log");
  assert.equal(config.monitor.pollSeconds, 2);
  assert.equal(config.monitor.sentKeepDays, 30);
  assert.ok(config.monitor.error.test("2025-01-01 10:00:00 ERROR boom"));
  assert.deepEqual(config.notify, {
    enabled: true,
    recipientsDir: "/etc/ft/recipients",
    toolkitErrorCooldownSeconds: 300,
    smtpHost: "smtp.gmail.com",
    smtpPort: 587,
    smtpCaFile: undefined,
    from: undefined,
  });
  assert.deepEqual(config.hooks, { backup: [], cleanup: [] });
});

Deno.test("every key of a full config is read, with Windows paths normalised", () => {
  const config = parseConfig(FULL, "C:\\Users\\lab\\.config\\fusion-toolkit\\config.toml", {
    ...windowsContext,
  });
  assert.deepEqual(config.backup, {
    sourceRoot: "D:\\FusionData",
    idleDays: 30,
    instrument: "fusion-02",
  });
  assert.deepEqual(config.truenas, {
    root: "\\\\truenas\\fusion-backup\\",
    manifestRoot: "\\\\truenas\\fusion-backup\\ledger",
    lockWaitMinutes: 2.5,
  });
  assert.equal(config.s3.prefix, "fusion/raw");
  assert.equal(config.s3.region, "us-west-2");
  assert.equal(config.s3.endpoint, "http://127.0.0.1:9000");
  assert.equal(config.s3.forcePathStyle, true);
  assert.equal(config.s3.storageClass, "DEEP_ARCHIVE");
  assert.equal(config.s3.multipartThresholdMb, 128);
  assert.equal(config.s3.partSizeMb, 16);
  assert.equal(config.s3.concurrency, 8);
  assert.equal(config.cleanup.freeThresholdPct, 12.5);
  assert.equal(config.monitor.logPath, "C:\\ProgramData\\Akoya\\Fusion\\Logs\\Fusion.log");
  assert.equal(config.monitor.pollSeconds, 0.5);
  assert.equal(config.monitor.error.source, "\\bFATAL\\b");
  assert.equal(config.notify.recipientsDir, "C:\\lab\\recipients");
  assert.equal(config.notify.smtpPort, 465);
  assert.equal(config.notify.smtpCaFile, "C:\\lab\\certs\\lab-ca.pem");
  assert.equal(config.notify.from, "fusion@lab.example.org");
  assert.equal(config.notify.enabled, false);
  assert.deepEqual(config.hooks.backup, ["powershell.exe", "-NoProfile", "-File", "C:/mount.ps1"]);
  assert.deepEqual(config.hooks.cleanup, []);
});

Deno.test("relative paths are taken from the config's folder and '~' is the home folder", () => {
  const source = MINIMAL.replace('"/data/fusion"', '"data/../studies"').replace(
    '"/mnt/truenas/fusion-backup"',
    '"~/share"',
  );
  const config = parseConfig(source, "/etc/ft/config.toml", posixContext);
  assert.equal(config.backup.sourceRoot, "/etc/ft/studies");
  assert.equal(config.truenas.root, "/home/lab/share");
});

Deno.test("backslash paths work on POSIX too", () => {
  const source = MINIMAL.replace('"/data/fusion"', "'\\data\\fusion\\'");
  assert.equal(parseConfig(source, "/c.toml", posixContext).backup.sourceRoot, "/data/fusion");
});

Deno.test("an unknown key is an error naming the key, its section and its line", () => {
  const message = configError(MINIMAL.replace("[s3]\n", "[s3]\nbukcet = 'x'\n"));
  assert.match(message, /\/etc\/ft\/config\.toml:9: unknown key 'bukcet' in \[s3\]/);
  assert.match(message, /known: bucket, prefix/);
});

Deno.test("an unknown section is an error naming its line", () => {
  const message = configError(`${MINIMAL}\n[backupp]\nidle_days = 3\n`);
  assert.match(message, /config\.toml:11: unknown section \[backupp\]/);
});

Deno.test("a dotted key at top level is located too", () => {
  const message = configError(`notify.colour = "red"\n${MINIMAL}`);
  assert.match(message, /config\.toml:1: unknown key 'colour' in \[notify\]/);
});

Deno.test("a wrong type is an error naming key, line and the value found", () => {
  assert.match(
    configError(MINIMAL.replace("[backup]\n", '[backup]\nidle_days = "14"\n')),
    /config\.toml:3: \[backup\] idle_days must be a number, got the string "14"/,
  );
  assert.match(
    configError(MINIMAL.replace("[backup]\n", "[backup]\nidle_days = 1.5\n")),
    /idle_days must be a whole number, got 1\.5/,
  );
  assert.match(
    configError(`${MINIMAL}\n[notify]\nenabled = "yes"\n`),
    /\[notify\] enabled must be true or false/,
  );
  assert.match(
    configError(`${MINIMAL}\n[hooks]\nbackup = "mount.ps1"\n`),
    /\[hooks\] backup must be a list of strings \(an argv\)/,
  );
  assert.match(configError(`cleanup = 3\n${MINIMAL}`), /'cleanup' must be a table/);
});

Deno.test("values out of range or outside their set are errors", () => {
  const cases: [string, RegExp][] = [
    ["[cleanup]\nfree_threshold_pct = 100", /free_threshold_pct must be less than 100/],
    ["[cleanup]\nfree_threshold_pct = 0", /free_threshold_pct must be more than 0/],
    ["[s3]\npart_size_mb = 4", /part_size_mb must be at least 5/],
    ["[notify]\nsmtp_port = 70000", /smtp_port must be at most 65535/],
    ['[monitor]\nerror = "(unclosed"', /error is not a valid regular expression/],
  ];
  for (const [extra, pattern] of cases) {
    const [header, line] = extra.split("\n");
    const source = MINIMAL.includes(header ?? "")
      ? MINIMAL.replace(`${header}\n`, `${extra}\n`)
      : `${MINIMAL}\n${extra}\n`;
    assert.match(configError(source), pattern, line);
  }
  assert.match(
    configError(MINIMAL.replace("[s3]\n", '[s3]\nstorage_class = "COLD"\n')),
    /storage_class must be one of STANDARD,.*DEEP_ARCHIVE/,
  );
  assert.match(
    configError(MINIMAL.replace('"lab-fusion-archive"', '"Lab_Archive"')),
    /bucket must be an S3 bucket name/,
  );
  assert.match(
    configError(MINIMAL.replace("[s3]\n", '[s3]\nendpoint = "localhost:9000"\n')),
    /endpoint must be empty, or an http:\/\/ or https:\/\/ URL/,
  );
});

Deno.test("a missing required key is an error naming the key", () => {
  const message = configError(MINIMAL.replace('bucket = "lab-fusion-archive"\n', ""));
  assert.match(message, /config\.toml:8: missing required key 'bucket' in \[s3\]/);
  assert.match(configError(""), /missing required key 'source_root' in \[backup\].*and 2 more/);
});

Deno.test("a share inside the source root, the reverse, or the same folder is a config error", () => {
  const roots = (source: string, share: string) =>
    MINIMAL.replace('source_root = "/data/fusion"', `source_root = "${source}"`)
      .replace('root = "/mnt/truenas/fusion-backup"', `root = "${share}"`);
  assert.match(
    configError(roots("/data/fusion", "/data/fusion/backups")),
    /^config error: \/etc\/ft\/config\.toml:\d+: \[truenas\] root \/data\/fusion\/backups lies inside \[backup\] source_root \/data\/fusion: the share must be a folder apart from the instrument's studies; set one of them elsewhere$/,
  );
  assert.match(
    configError(roots("/mnt/share/fusion", "/mnt/share")),
    /\/mnt\/share contains \[backup\] source_root/,
  );
  assert.match(
    configError(roots("/data/x", "/data/x/")),
    /is the same folder as \[backup\] source_root/,
  );
  // Beside each other, or only a common prefix of the name, is fine.
  assert.doesNotThrow(() =>
    parseConfig(roots("/data/fusion", "/data/fusion-backup"), "/c.toml", posixContext)
  );
  // Windows compares without regard to case.
  assert.throws(
    () => parseConfig(roots("D:/FusionData", "d:/fusiondata/share"), "C:/c.toml", windowsContext),
    /\[truenas\] root d:\\fusiondata\\share lies inside \[backup\] source_root D:\\FusionData/,
  );
});

Deno.test("a host name that cannot be an instrument name asks for [backup] instrument", () => {
  assert.throws(
    () => parseConfig(MINIMAL, "/c.toml", { ...posixContext, hostname: () => "my pc" }),
    /host name "my pc" cannot name the instrument; set \[backup\] instrument/,
  );
});

Deno.test("malformed TOML says what is wrong in the writer's terms, at its line and column", () => {
  // [TOML, where, what]: each case as a person writes it by hand.
  const cases: [string, string, string][] = [
    [
      '[backup]\nsource_root = "D:/FusionData\nidle_days = 3\n',
      "2:15",
      'unclosed string: the value that starts with " here has no closing " on this line',
    ],
    [
      "[backup]\nsource_root = 'D:/FusionData\n",
      "2:15",
      "unclosed string: the value that starts with ' here has no closing ' on this line",
    ],
    [
      '[backup]\nsource_root = """D:/FusionData\n',
      "2:15",
      'unclosed multi-line string: the """ here has no closing """',
    ],
    ['[backup\nsource_root = "x"\n', "1:8", "unclosed table header: '[backup' needs a closing ']'"],
    [
      '[backup # the instrument\nsource_root = "x"\n',
      "1:9",
      "unclosed table header: '[backup' needs a closing ']'",
    ],
    [
      "[back up]\n",
      "1:7",
      "invalid table name 'back up': use letters, digits, '_' and '-' (or put the name in quotes)",
    ],
    [
      '[backup]\nsource_root "D:/FusionData"\n',
      "2:13",
      "missing '=' after the key 'source_root': write source_root = <value>",
    ],
    [
      '[backup]\nsource root = "x"\n',
      "2:8",
      "invalid key 'source root': a key uses letters, digits, '_' and '-' (or put it in quotes)",
    ],
    [
      "[backup]\nidle_days = 3\nidle_days = 4\n",
      "3:1",
      "duplicate key 'idle_days' in [backup] (first set on line 2): keep one",
    ],
    [
      '[backup]\nidle_days = 3\n\n[backup]\ninstrument = "f"\n',
      "4:2",
      "table [backup] appears twice (first on line 1): keep one [backup] and put all its keys there",
    ],
    [
      '[hooks]\nbackup = ["a.exe", "b"\ncleanup = []\n',
      "2:10",
      "unclosed list: this [ has no closing ]",
    ],
    [
      '[hooks]\nbackup = ["a.exe" "b"]\n',
      "2:19",
      "missing ',' between the items of the list, or its closing ]",
    ],
    [
      '[hooks]\nbackup = [\n  "a.exe"\n  "b"\n]\n',
      "4:3",
      "missing ',' between the items of the list, or its closing ]",
    ],
    ["[backup]\ninstrument = fusion-01\n", "2:14", 'text needs quotes: write "fusion-01"'],
    [
      "[backup]\nsource_root = D:\\FusionData\n",
      "2:15",
      "text needs quotes: write 'D:\\FusionData'",
    ],
    [
      '[backup]\nsource_root = "D:\\FusionData"\n',
      "2:18",
      "in a \"...\" string a backslash starts an escape, and \\F is not one: write a Windows path with '/' (\"C:/Data\") or in single quotes ('C:\\Data')",
    ],
    ["[backup]\nidle_days =\n", "2:12", "missing value after '='"],
    [
      "[backup]\nidle_days = 14 days\n",
      "2:16",
      "unexpected text after the value: write one key = value per line",
    ],
    [
      "[backup]\nidle_days = 14d\n",
      "2:13",
      "invalid number '14d': write digits only, or put text in quotes",
    ],
    ["[s3]\nforce_path_style = True\n", "2:20", "write true in lower case"],
    [
      '[backup]\ninstrument = "fusion\u000101"\n',
      "2:21",
      "a string holds the control character U+0001: remove it, or write it as an escape such as \\t",
    ],
  ];
  for (const [toml, where, what] of cases) {
    assert.equal(configError(toml), `/etc/ft/config.toml:${where}: invalid TOML: ${what}`, toml);
  }
});

Deno.test("several problems are reported together", () => {
  const message = configError(
    MINIMAL.replace("[backup]\n", "[backup]\nidle_days = -1\ncolour = 1\n"),
  );
  assert.match(message, /unknown key 'colour'.*and 1 more: .*idle_days must be at least 0/);
});

Deno.test("loadConfig reads a file, and a missing file says how to create one", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "config.toml");
    await Deno.writeTextFile(file, MINIMAL);
    const config = await loadConfig({ path: file, hostname: () => "host1" });
    assert.equal(config.file, file);
    assert.equal(config.backup.instrument, "host1");
    const missing = async (options: Parameters<typeof loadConfig>[0]) => {
      const error = await loadConfig({ command: "fusion-toolkit.exe", ...options }).then(
        () => assert.fail("a missing config was accepted"),
        (error: unknown) => error,
      );
      assert.ok(error instanceof ConfigError);
      assert.equal(error.exitCode, 2);
      return error.message;
    };
    // A path given with --config: that path is named, and init is pointed at its folder.
    const elsewhere = join(dir, "site b");
    assert.equal(
      await missing({ path: join(elsewhere, "config.toml") }),
      `the config file given with --config does not exist: ${join(elsewhere, "config.toml")}; ` +
        `check the path, or create one there with \`fusion-toolkit.exe install init ` +
        `--config-dir "${elsewhere}"\``,
    );
    // init always writes config.toml: another file name is answered with the name it will have.
    assert.equal(
      await missing({ path: join(dir, "nope.toml") }),
      `the config file given with --config does not exist: ${join(dir, "nope.toml")}; check ` +
        `the path, or create a config.toml in that folder with \`fusion-toolkit.exe install ` +
        `init --config-dir ${dir}\` and pass --config ${file}`,
    );
    // No --config: the default place, and init without a folder writes there.
    const home = currentPlatform() === "windows" ? "USERPROFILE" : "HOME";
    const defaultFile = join(dir, ".config", "fusion-toolkit", "config.toml");
    assert.equal(
      await missing({ env: new Map([[home, dir]]) }),
      `no config file at ${defaultFile}, the default place; create one there with ` +
        "`fusion-toolkit.exe install init`, or pass --config PATH",
    );
    await assert.rejects(loadConfig({ path: dir }), /config path is a directory/);
  });
});

Deno.test("loadConfig defaults to ~/.config/fusion-toolkit/config.toml and needs a home", async () => {
  await withTempDir(async (home) => {
    const dir = join(home, ".config", "fusion-toolkit");
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(join(dir, "config.toml"), MINIMAL);
    // The real file system's flavour: a Windows temp folder is found through USERPROFILE.
    const homeVariable = currentPlatform() === "windows" ? "USERPROFILE" : "HOME";
    const config = await loadConfig({ env: new Map([[homeVariable, home]]), hostname: () => "h" });
    assert.equal(config.file, join(dir, "config.toml"));
    await assert.rejects(
      loadConfig({ env: new Map() }),
      new RegExp(`cannot find the home directory \\(${homeVariable} is not set\\); pass --config`),
    );
  });
});
