/**
 * The state file: round trip, atomic replacement, damaged files, a missing
 * folder, a state written before file identities were kept.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type MonitorState,
  monitorStatePath,
  readMonitorState,
  writeMonitorState,
} from "../../lib/monitor/mod.ts";
import { withTempDir } from "../_helpers/temp.ts";

const STATE: MonitorState = {
  logPath: "C:\\ProgramData\\Akoya\\Fusion\\Logs\\Fusion.log",
  // A Windows volume serial number and a file index above 2^53 (still an integer).
  identity: { dev: 3_735_928_559, ino: 2 ** 60 },
  offset: 123456,
  head: new Uint8Array([0xff, 0xfe, 0x32, 0x00, 0x0a]),
  historyEnd: 1000,
  parser: {
    sample: "S12",
    cycle: "7",
    pending: {
      lines: ["2025-03-01 10:00:00 ERROR µ boom", "   at A()"],
      omittedLines: 2,
      sample: "S12",
      cycle: undefined,
      history: true,
    },
  },
  sent: new Map([["[12] ERROR boom", Date.parse("2025-03-01T10:00:00.000Z")]]),
};

Deno.test("the state survives a write and a read, in state/ under the config folder", async () => {
  await withTempDir(async (dir) => {
    const file = monitorStatePath(dir);
    assert.equal(file, join(dir, "state", "monitor.json"));
    assert.deepEqual(await readMonitorState(file), { state: undefined });
    await writeMonitorState(file, STATE, new Date("2025-03-02T00:00:00Z"));
    assert.deepEqual(await readMonitorState(file), { state: STATE });
    const document = JSON.parse(await Deno.readTextFile(file));
    assert.equal(document.saved_at, "2025-03-02T00:00:00.000Z");
    assert.deepEqual(document.sent, { "[12] ERROR boom": "2025-03-01T10:00:00.000Z" });
    assert.deepEqual(document.file, { dev: 3_735_928_559, ino: 2 ** 60 });
    const emptied = {
      ...STATE,
      identity: undefined,
      parser: { sample: undefined, cycle: undefined, pending: undefined },
    };
    await writeMonitorState(file, emptied, new Date());
    assert.deepEqual(await readMonitorState(file), { state: emptied });
    assert.deepEqual(
      [...Deno.readDirSync(join(dir, "state"))].map((entry) => entry.name),
      ["monitor.json"],
      "no temp file left behind",
    );
  });
});

Deno.test("a damaged state file is no state, with a problem that says what happens next", async () => {
  await withTempDir(async (dir) => {
    const file = monitorStatePath(dir);
    await Deno.mkdir(join(dir, "state"));
    for (
      const [text, reason] of [
        ["{not json", /is damaged \(/],
        ['{"version": 2, "log_path": "x", "offset": 0, "head": ""}', /version 2 is not 1/],
        ['{"version": 1, "log_path": "x", "offset": -1, "head": ""}', /offset is not a byte count/],
        ['{"version": 1, "offset": 0, "head": ""}', /log_path is missing/],
        [
          '{"version": 1, "log_path": "x", "offset": 0, "head": "", "pending": {"lines": [1]}}',
          /pending.lines is not a list of lines/,
        ],
        [
          '{"version": 1, "log_path": "x", "offset": 0, "head": "", "file": {"dev": 1}}',
          /file is not a device and inode number/,
        ],
      ] as const
    ) {
      await Deno.writeTextFile(file, text);
      const reading = await readMonitorState(file);
      assert.equal(reading.state, undefined);
      assert.match(reading.problem ?? "", reason);
      assert.match(reading.problem ?? "", /errors already in the log are not emailed$/);
    }
  });
});

Deno.test("writing where state/ cannot be made throws", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "state"), "a file where the folder should be");
    await assert.rejects(writeMonitorState(monitorStatePath(dir), STATE, new Date()));
  });
});

Deno.test("a state written before file identities were kept is read, with no identity", async () => {
  await withTempDir(async (dir) => {
    const file = monitorStatePath(dir);
    await Deno.mkdir(join(dir, "state"));
    await Deno.writeTextFile(
      file,
      '{"version": 1, "log_path": "x", "offset": 12, "head": "", "history_end": 0}',
    );
    const reading = await readMonitorState(file);
    assert.deepEqual([reading.state?.identity, reading.state?.offset], [undefined, 12]);
  });
});
