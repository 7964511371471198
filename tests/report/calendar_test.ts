/** Months on a PC's clock: arithmetic, month starts across time zones and a DST change. */
import assert from "node:assert/strict";
import {
  addMonths,
  type Calendar,
  formatTime,
  isMonth,
  lastFullMonth,
  monthOf,
  monthsBetween,
  monthStart,
  zoneName,
} from "../../lib/report/calendar.ts";

const UTC: Calendar = { offsetMinutes: () => 0 };
const SHANGHAI: Calendar = { offsetMinutes: () => 480 };
/** New York: UTC-5, and UTC-4 from 2026-03-08 07:00 UTC to 2026-11-01 06:00 UTC. */
const NEW_YORK: Calendar = {
  offsetMinutes: (time) =>
    time >= Date.parse("2026-03-08T07:00:00Z") && time < Date.parse("2026-11-01T06:00:00Z")
      ? -240
      : -300,
};

Deno.test("month arithmetic across years", () => {
  assert.equal(addMonths("2026-11", 2), "2027-01");
  assert.equal(addMonths("2026-01", -1), "2025-12");
  assert.equal(addMonths("2026-01", -121), "2015-12");
  assert.equal(monthsBetween("2025-10", "2026-11"), 13);
  assert.equal(monthsBetween("2026-11", "2026-10"), -1);
  assert.deepEqual(["2026-11", "2026-13", "2026-00", "26-11", "2026-1"].map(isMonth), [
    true,
    false,
    false,
    false,
    false,
  ]);
  assert.throws(() => addMonths("2026-13", 1), RangeError);
});

Deno.test("a month starts at midnight on the 1st of the PC's clock", () => {
  assert.equal(new Date(monthStart(UTC, "2026-11")).toISOString(), "2026-11-01T00:00:00.000Z");
  assert.equal(
    new Date(monthStart(SHANGHAI, "2026-11")).toISOString(),
    "2026-10-31T16:00:00.000Z",
  );
  // Daylight saving time in force on 1 November at midnight, not after the change at 02:00.
  assert.equal(
    new Date(monthStart(NEW_YORK, "2026-11")).toISOString(),
    "2026-11-01T04:00:00.000Z",
  );
  assert.equal(
    new Date(monthStart(NEW_YORK, "2026-12")).toISOString(),
    "2026-12-01T05:00:00.000Z",
  );
  const backup = Date.parse("2026-10-31T18:00:00Z"); // 02:00 on 1 November in Shanghai
  assert.equal(monthOf(SHANGHAI, backup), "2026-11");
  assert.equal(monthOf(UTC, backup), "2026-10");
  assert.equal(formatTime(SHANGHAI, backup), "2026-11-01 02:00");
  assert.equal(zoneName(SHANGHAI, backup), "UTC+08:00");
  assert.equal(zoneName(NEW_YORK, backup), "UTC-04:00");
  assert.equal(zoneName(UTC, backup), "UTC");
  assert.equal(lastFullMonth(SHANGHAI, backup), "2026-10");
});
