/** Each range copies at most quarantineLimitPerRange corrupt records; the rest are counted. */
import { describe, expect, it } from "vitest";
import { csvFile, csvLine, edgarRow } from "../helpers/edgar-csv";
import { runCore } from "../helpers/run-core";

const GOOD = csvLine(edgarRow());
/** One bad record, padded to the good line's length so every range holds the same mix. */
const BAD = `bad,record${",".repeat(3)}`.padEnd(GOOD.length, "x");

describe("the per-range quarantine limit", () => {
  it("copies the first N corrupt records of each range, counts the rest, and counts every one as corrupt", async () => {
    // Prepare: 3 ranges of 5 corrupt + 5 good lines each.
    const block = [...Array(5).fill(BAD), ...Array(5).fill(GOOD)];
    const bytes = csvFile([...block, ...block, ...block]);
    const rangeBytes = (GOOD.length + 1) * 10;

    // Act
    const run = await runCore({ bytes, rangeBytes, options: { quarantineLimitPerRange: 2 } });

    // Assess
    expect(run.plan.ranges).toHaveLength(3);
    expect(run.merged.rows).toMatchObject({ read: 30, ok: 15, corrupt: 15 });
    expect(run.merged.quarantine.map((q) => q.line)).toEqual([2, 3, 12, 13, 22, 23]);
    expect(run.merged.quarantineOverflow).toBe(9);
  });

  it("a limit of 0 copies none and counts all; a limit above the count copies all", async () => {
    const bytes = csvFile([BAD, GOOD, BAD]);
    const none = await runCore({ bytes, options: { quarantineLimitPerRange: 0 } });
    expect(none.merged.quarantine).toEqual([]);
    expect(none.merged.quarantineOverflow).toBe(2);
    const all = await runCore({ bytes, options: { quarantineLimitPerRange: 3 } });
    expect(all.merged.quarantine).toHaveLength(2);
    expect(all.merged.quarantineOverflow).toBe(0);
  });

  it("exactly at the limit: all copied, none overflow", async () => {
    const run = await runCore({ bytes: csvFile([BAD, BAD]), options: { quarantineLimitPerRange: 2 } });
    expect(run.merged.quarantine).toHaveLength(2);
    expect(run.merged.quarantineOverflow).toBe(0);
  });
});
