/**
 * mapRange: reads the plan, opens the planned source, writes the range's partial at its key and
 * says which range it mapped, how many rows it read and where the partial is.
 */
import { describe, expect, it } from "vitest";
import type { SourceRef } from "../../functions/contracts";
import { decodePartial } from "../../functions/core/partial-codec";
import { processRange } from "../../functions/core/process-range";
import { workKeys } from "../../functions/stages/layout";
import { mapRange } from "../../functions/stages/map-stage";
import { withFloatCounts } from "../helpers/decoded-partial";
import { csvLine, edgarRow } from "../helpers/edgar-csv";
import { plannedDay } from "../helpers/planned-day";

describe("mapRange", () => {
  it("writes range i's partial at its key, from the source the plan names, and reports it", async () => {
    const { source, work, planKey, plan } = await plannedDay({
      runId: "r7",
      lines: Array.from({ length: 120 }, (_, i) => csvLine(edgarRow({ ip: `10.1.${i % 7}.x` }))),
      rangeBytes: 3000,
      now: new Date("2024-06-01T00:00:00.000Z"),
    });
    expect(plan.ranges.length).toBeGreaterThan(2);
    const opened: SourceRef[] = [];

    const result = await mapRange({
      task: { version: 1, runId: "r7", planKey, index: 2 },
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
    const written = withFloatCounts(decodePartial(work.objects.get(key)!, key));
    const { seconds, ...rest } = written;
    expect(seconds).toBeGreaterThanOrEqual(0);
    expect(seconds).toBeLessThan(60);
    expect(rest).toEqual(withFloatCounts(expected));
    expect([...work.objects.keys()].filter((k) => k.includes("/partials/"))).toEqual([key]);
  });
});
