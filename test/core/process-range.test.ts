/**
 * One range of a plan into its partial, on its own: the partial names its run, range and record
 * bounds; a corrupt record in failfast mode is reported by source, byte and line, any other error
 * passes as it is; and the IP counter a range leaves for the next is never shared by two ranges
 * at once nor left behind by one that failed.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_RUN_OPTIONS, type RunOptions } from "../../functions/contracts";
import { ipCountList } from "../../functions/core/aggregate";
import { type ByteSource, memoryByteSource } from "../../functions/core/byte-source";
import { CorruptRecordError, IncompleteReadError } from "../../functions/core/errors";
import { readHeader } from "../../functions/core/header";
import { PARTIAL_FORMAT, PARTIAL_VERSION } from "../../functions/core/partial";
import { lineNumberAt, processRange } from "../../functions/core/process-range";
import { csvFile, csvLine, edgarRow, utf8 } from "../helpers/edgar-csv";
import { makePlan } from "../helpers/run-core";

/** A valid line from `ip`. */
const rowFrom = (ip: string) => csvLine(edgarRow({ ip }));

/** The source over `bytes` and its plan, cut into ranges of `rangeBytes`. */
async function planned(
  bytes: Uint8Array,
  rangeBytes: number,
  options: Partial<RunOptions> = {},
  chunkBytes = 64,
) {
  const source = memoryByteSource(bytes, "day.csv", chunkBytes);
  const header = await readHeader(source);
  const plan = makePlan(header, bytes.length, { ...DEFAULT_RUN_OPTIONS, ...options, rangeBytes }, "day.csv");
  return { source, plan };
}

/** What processRange rejects with (or null if it resolves). */
const failureOf = (run: Promise<unknown>) =>
  run.then(
    () => null,
    (e: unknown) => e,
  );

describe("processRange", () => {
  it("returns the partial of each range: its run, index and bounds, the records it owns, its lines and counts", async () => {
    // Prepare: two ranges, the cut inside the second record (which the first range then owns).
    const lines = [rowFrom("a"), rowFrom("b"), "", rowFrom("a")];
    const bytes = csvFile(lines);
    const dataStart = bytes.indexOf(10) + 1;
    const rangeBytes = Math.ceil((bytes.length - dataStart) / 2);
    const cut = dataStart + rangeBytes;
    const third = dataStart + lines[0]!.length + lines[1]!.length + 2;
    expect(cut > dataStart + lines[0]!.length + 1 && cut < third).toBe(true);
    const { source, plan } = await planned(bytes, rangeBytes);
    expect(plan.ranges.map(({ start, end }) => [start, end])).toEqual([
      [dataStart, cut],
      [cut, bytes.length],
    ]);

    // Act
    const first = await processRange(source, plan, 0);
    const second = await processRange(source, plan, 1);

    // Assess
    const { aggregate: a1, ...partial1 } = first;
    const { aggregate: a2, ...partial2 } = second;
    expect([partial1, partial2]).toEqual([
      {
        format: PARTIAL_FORMAT,
        version: PARTIAL_VERSION,
        runId: plan.runId,
        index: 0,
        start: dataStart,
        end: cut,
        firstRecordAt: dataStart,
        endedAt: third,
        lines: 2,
      },
      {
        format: PARTIAL_FORMAT,
        version: PARTIAL_VERSION,
        runId: plan.runId,
        index: 1,
        start: cut,
        end: bytes.length,
        firstRecordAt: third,
        endedAt: bytes.length,
        lines: 2,
      },
    ]);
    expect([a1.rows, a2.rows]).toEqual([
      { read: 2, ok: 2, corrupt: 0, sampledOut: 0, blank: 0 },
      { read: 1, ok: 1, corrupt: 0, sampledOut: 0, blank: 1 },
    ]);
    expect([ipCountList(a1.ipCounts), ipCountList(a2.ipCounts)]).toEqual([
      { ip: ["a", "b"], count: [1, 1] },
      { ip: ["a"], count: [1] },
    ]);
  });

  it("names the plan and its range count when asked for a range it does not have", async () => {
    // Prepare
    const { source, plan } = await planned(csvFile([rowFrom("a"), rowFrom("b")]), 80);
    const count = plan.ranges.length;

    for (const index of [count, -1]) {
      // Act
      const error = await failureOf(processRange(source, plan, index));

      // Assess
      expect(error).toBeInstanceOf(RangeError);
      expect((error as Error).message).toBe(
        `range ${index} is not in plan ${plan.runId} (it has ${count} ranges)`,
      );
    }
  });

  it("reports a corrupt record in failfast mode by source, byte and line, and says how to go on", async () => {
    // Prepare: the bad record on line 4, past byte 100 (the offset has several digits).
    const bad = "bad,record";
    const bytes = csvFile([rowFrom("a"), rowFrom("b"), bad, rowFrom("c")]);
    const offset = Buffer.from(bytes).indexOf(bad);
    const { source, plan } = await planned(bytes, bytes.length, { mode: "failfast" });

    // Act
    const error = await failureOf(processRange(source, plan, 0));

    // Assess: the aggregator's "corrupt record at byte N: " is said once, with the line.
    expect(error).toBeInstanceOf(CorruptRecordError);
    const e = error as CorruptRecordError;
    expect([e.offset, e.reason]).toEqual([offset, "column_count"]);
    expect(e.message).toMatch(
      new RegExp(
        `^day\\.csv: corrupt record at byte ${offset}, line 4: column_count: [^;]+; fix the input, or run with mode permissive \\(quarantine\\) or dropmalformed$`,
      ),
    );
  });

  it("passes any other error of the source through as it is", async () => {
    // Prepare: a source whose first read fails after its first chunk (later reads, such as one
    // counting lines for an error's message, would succeed).
    const bytes = csvFile([rowFrom("a"), rowFrom("b")]);
    const { source: good, plan } = await planned(bytes, bytes.length);
    const cut = new IncompleteReadError("day.csv: read cut short");
    let reads = 0;
    const source: ByteSource = {
      size: good.size,
      name: good.name,
      async *stream(start: number, end?: number) {
        const failing = reads++ === 0;
        for await (const chunk of good.stream(start, end)) {
          yield chunk;
          if (failing) throw cut;
        }
      },
    };

    // Act
    const error = await failureOf(processRange(source, plan, 0));

    // Assess
    expect(error).toBe(cut);
  });

  it("counts only its own IPs in a range mapped at once with another, after a range left its counter spare", async () => {
    // Prepare: ranges of different IPs, read in small chunks so that the two scans interleave.
    const lines = [...Array(20).fill(rowFrom("a")), ...Array(20).fill(rowFrom("b"))];
    const bytes = csvFile(lines);
    const { source, plan } = await planned(bytes, (lines[0]!.length + 1) * 20, {}, 16);
    expect(plan.ranges).toHaveLength(2);
    const alone = [await processRange(source, plan, 0), await processRange(source, plan, 1)];

    // Act
    const atOnce = await Promise.all([processRange(source, plan, 0), processRange(source, plan, 1)]);

    // Assess
    expect(alone.map((p) => ipCountList(p.aggregate.ipCounts))).toEqual([
      { ip: ["a"], count: [20] },
      { ip: ["b"], count: [20] },
    ]);
    expect(atOnce.map((p) => ipCountList(p.aggregate.ipCounts))).toEqual(
      alone.map((p) => ipCountList(p.aggregate.ipCounts)),
    );
  });

  it("leaves no IP counts of a range that failed to the next range", async () => {
    // Prepare: a failfast range that counts IPs before its corrupt record, then a good one.
    const failing = await planned(csvFile([rowFrom("x"), rowFrom("y"), "bad,record"]), 1000, {
      mode: "failfast",
    });
    const good = await planned(csvFile([rowFrom("a")]), 1000);
    await processRange(good.source, good.plan, 0); // a counter left spare

    // Act
    const error = await failureOf(processRange(failing.source, failing.plan, 0));
    const next = await processRange(good.source, good.plan, 0);

    // Assess
    expect(error).toBeInstanceOf(CorruptRecordError);
    expect(ipCountList(next.aggregate.ipCounts)).toEqual({ ip: ["a"], count: [1] });
  });
});

describe("lineNumberAt", () => {
  it.each([1, 3, 1024])(
    "counts the LFs before an offset, in chunks of %i bytes (an LF first in a chunk too)",
    async (chunkBytes) => {
      // Prepare: LFs at the object's first byte, back to back, and just before the offsets asked.
      const bytes = utf8("\nab\n\n\ncd\ne");
      const source = memoryByteSource(bytes, "memory", chunkBytes);

      // Act
      const lines = await Promise.all([0, 1, 4, 6, 9, 10].map((offset) => lineNumberAt(source, offset)));

      // Assess
      expect(lines).toEqual([1, 2, 3, 5, 6, 6]);
    },
  );
});
