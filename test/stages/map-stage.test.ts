/**
 * mapRange: reads the plan, opens the planned source, writes the range's partial at its key and
 * says which range it mapped, how many rows it read and where the partial is.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_RUN_OPTIONS, type SourceRef } from "../../functions/contracts";
import { memoryByteSource } from "../../functions/core/byte-source";
import { decodePartial } from "../../functions/core/partial-codec";
import { processRange } from "../../functions/core/process-range";
import { workKeys } from "../../functions/stages/layout";
import { mapRange } from "../../functions/stages/map-stage";
import { planRun } from "../../functions/stages/plan-stage";
import { readPlan } from "../../functions/stages/read-plan";
import { csvLine, EDGAR_HEADER, edgarRow, utf8 } from "../helpers/edgar-csv";
import { memoryObjectStore } from "../helpers/memory-object-store";

describe("mapRange", () => {
  it("writes range i's partial at its key, from the source the plan names, and reports it", async () => {
    const lines = [EDGAR_HEADER];
    for (let i = 0; i < 120; i++) lines.push(csvLine(edgarRow({ ip: `10.1.${i % 7}.x` })));
    const source = memoryByteSource(utf8(`${lines.join("\n")}\n`), "day.csv");
    const work = memoryObjectStore("work");
    const planned = await planRun({
      runId: "r7",
      source,
      location: { key: "day.csv" },
      options: { ...DEFAULT_RUN_OPTIONS, rangeBytes: 3000 },
      work,
      now: new Date("2024-06-01T00:00:00.000Z"),
    });
    const plan = await readPlan(work, planned.planKey);
    expect(plan.ranges.length).toBeGreaterThan(2);
    const opened: SourceRef[] = [];

    const result = await mapRange({
      task: { version: 1, runId: "r7", planKey: planned.planKey, index: 2 },
      work,
      openSource: async (ref) => {
        opened.push(ref);
        return source;
      },
    });

    const expected = await processRange(source, plan, 2);
    const key = workKeys.partial("r7", 2);
    expect(result).toEqual({ index: 2, partialKey: key, rowsRead: expected.aggregate.rows.read });
    expect(result.rowsRead).toBeGreaterThan(0);
    expect(opened).toEqual([plan.source]);
    expect(work.types.get(key)).toBe("application/octet-stream");
    const written = decodePartial(work.objects.get(key)!, key);
    const { seconds, ...rest } = written;
    expect(seconds).toBeGreaterThanOrEqual(0);
    expect(seconds).toBeLessThan(60);
    expect(rest).toEqual(expected);
    expect([...work.objects.keys()].filter((k) => k.includes("/partials/"))).toEqual([key]);
  });
});
