/**
 * The reducer's coverage proof: every way the partials can fail to tile the data exactly once,
 * or fail to add up, stops the run with a CoverageError naming the run, the range and the fault.
 */
import { describe, expect, it } from "vitest";
import { numberedQuarantine, proveCoverage } from "../../functions/core/coverage";
import { CoverageError } from "../../functions/core/errors";
import type { RangePartial } from "../../functions/core/partial";
import { csvFile, csvLine, edgarRow } from "../helpers/edgar-csv";
import { type CoreRun, runCore } from "../helpers/run-core";

const LINES = Array.from({ length: 12 }, (_, i) => csvLine(edgarRow({ ip: `10.0.0.${i}` })));

/** A real run over 12 lines cut into ranges of 300 bytes (several ranges, each owning records). */
async function realRun(): Promise<CoreRun> {
  return runCore({ bytes: csvFile([...LINES.slice(0, 6), "", ...LINES.slice(6)]), rangeBytes: 300 });
}

type Edit = (p: RangePartial) => RangePartial;
function withRange(run: CoreRun, index: number, edit: Edit): RangePartial[] {
  return run.partials.map((p) => (p.index === index ? edit(p) : p));
}
function rows(p: RangePartial, change: Partial<RangePartial["aggregate"]["rows"]>): RangePartial {
  return { ...p, aggregate: { ...p.aggregate, rows: { ...p.aggregate.rows, ...change } } };
}

describe("proveCoverage", () => {
  it("accepts a real run's partials, in any order, and returns the spans joining end to start", async () => {
    // Prepare
    const run = await realRun();
    expect(run.plan.ranges.length).toBeGreaterThan(3);

    // Act
    const proof = proveCoverage(run.plan, [...run.partials].reverse());

    // Assess
    expect(proof).toEqual({
      ranges: run.plan.ranges.length,
      dataStart: run.plan.header.dataStart,
      size: run.plan.source.size,
      spans: run.partials.map((p) => [p.firstRecordAt, p.endedAt]),
    });
    expect(proof.spans[0]![0]).toBe(run.plan.header.dataStart);
    expect(proof.spans.at(-1)![1]).toBe(run.plan.source.size);
  });

  it("accepts a sampled run: read = ok + corrupt + sampledOut with records sampled out", async () => {
    const run = await runCore({
      bytes: csvFile([...LINES, "bad"]),
      rangeBytes: 300,
      options: { sample: { fraction: 0.5, seed: 3 } },
    });
    expect(run.merged.rows.sampledOut).toBeGreaterThan(0);
    expect(run.merged.rows.corrupt + run.merged.rows.ok).toBeGreaterThan(0);
    expect(proveCoverage(run.plan, run.partials).ranges).toBe(run.plan.ranges.length);
  });

  it("fails a range that ends before its own first record, even past its planned end", async () => {
    // Prepare: ranges of 40 bytes over ~190-byte lines, so some range holds no record start and
    // its first record (the next line) lies past its end.
    const run = await runCore({ bytes: csvFile(LINES), rangeBytes: 40 });
    const inside = run.partials.find((p) => p.index > 0 && p.firstRecordAt > p.end + 1)!;
    expect(inside).toBeDefined();
    const edited = withRange(run, inside.index, (p) => ({ ...p, endedAt: p.firstRecordAt - 1 }));

    // Act / Assess
    expect(() => proveCoverage(run.plan, edited)).toThrow(
      new RegExp(`range ${inside.index} .*ended at byte ${inside.firstRecordAt - 1}, before its range's end`),
    );
  });

  it("a plan with no ranges (header only) is proven when the data is empty", async () => {
    const run = await runCore({ bytes: csvFile([]) });
    expect(run.plan.ranges).toEqual([]);
    expect(proveCoverage(run.plan, [])).toMatchObject({ ranges: 0, spans: [] });
  });

  const faults: [string, (run: CoreRun) => RangePartial[], RegExp][] = [
    ["a missing partial", (r) => r.partials.slice(0, -1), /\d+ partials for \d+ planned ranges/],
    ["one partial too many", (r) => [...r.partials, r.partials[0]!], /partials for \d+ planned ranges/],
    [
      "a range's partial replaced by another range's",
      (r) => r.partials.map((p) => (p.index === 2 ? r.partials[1]! : p)),
      /range 2 .*partial for range 2 is missing \(found 1\)/,
    ],
    [
      "a partial of another run",
      (r) => withRange(r, 1, (p) => ({ ...p, runId: "other-run" })),
      /range 1 .*belongs to run other-run/,
    ],
    [
      "a partial over another byte range",
      (r) => withRange(r, 1, (p) => ({ ...p, start: p.start + 1 })),
      /range 1 .*not the planned range/,
    ],
    [
      "a partial over a shorter byte range",
      (r) => withRange(r, 1, (p) => ({ ...p, end: p.end - 1 })),
      /range 1 .*not the planned range/,
    ],
    [
      "a gap: a range's first record after the previous range's end",
      (r) => withRange(r, 2, (p) => ({ ...p, firstRecordAt: p.firstRecordAt + 1 })),
      /range 2 .*: gap: its first record is at byte \d+ but the previous range ended at \d+/,
    ],
    [
      "an overlap: a range's first record before the previous range's end",
      (r) => withRange(r, 2, (p) => ({ ...p, firstRecordAt: p.firstRecordAt - 1 })),
      /range 2 .*: overlap: /,
    ],
    [
      "range 0 not starting at the first data byte",
      (r) => withRange(r, 0, (p) => ({ ...p, firstRecordAt: p.firstRecordAt + 1 })),
      /range 0 .*gap/,
    ],
    [
      "a range ending before its planned end",
      (r) => withRange(r, 1, (p) => ({ ...p, endedAt: p.end - 1 })),
      /range 1 .*ended at byte \d+, before its range's end/,
    ],
    [
      "a range ending before its first record",
      (r) => withRange(r, 1, (p) => ({ ...p, endedAt: p.firstRecordAt - 1, end: p.end })),
      /range 1 .*before its range's end/,
    ],
    [
      "rows.read larger than ok + corrupt + sampledOut",
      (r) => withRange(r, 1, (p) => rows(p, { read: p.aggregate.rows.read + 1 })),
      /range 1 .*counts do not add up \(read \d+ != ok/,
    ],
    [
      "ok over-counted",
      (r) => withRange(r, 1, (p) => rows(p, { ok: p.aggregate.rows.ok + 1 })),
      /counts do not add up/,
    ],
    [
      "corrupt over-counted",
      (r) => withRange(r, 1, (p) => rows(p, { corrupt: p.aggregate.rows.corrupt + 1 })),
      /counts do not add up/,
    ],
    [
      "sampledOut over-counted",
      (r) => withRange(r, 1, (p) => rows(p, { sampledOut: p.aggregate.rows.sampledOut + 1 })),
      /counts do not add up/,
    ],
    [
      "lines not equal to read + blank",
      (r) => withRange(r, 1, (p) => ({ ...p, lines: p.lines + 1 })),
      /counts do not add up .*lines \d+ != read \+ blank/,
    ],
    [
      "a blank line counted that is not among the lines",
      (r) => withRange(r, 1, (p) => rows(p, { blank: p.aggregate.rows.blank + 1 })),
      /counts do not add up/,
    ],
  ];

  it.each(faults)("fails on %s", async (_what, edit, message) => {
    const run = await realRun();
    const act = () => proveCoverage(run.plan, edit(run));
    expect(act).toThrow(CoverageError);
    expect(act).toThrow(message);
    expect(act).toThrow(/^run test-run/);
  });

  it("fails when the last range stops short of the object's end, naming both bytes", async () => {
    // Prepare: a plan for a larger object than the partials cover (the tail was never read).
    const run = await realRun();
    const plan = { ...run.plan, source: { ...run.plan.source, size: run.plan.source.size + 7 } };

    // Act / Assess
    expect(() => proveCoverage(plan, run.partials)).toThrow(
      `run test-run: the last range ended at byte ${run.plan.source.size}, not at the object's end ${run.plan.source.size + 7}`,
    );
  });

  it("fails when a range past the last one is still owed bytes (the last range ended early)", async () => {
    const run = await realRun();
    const last = run.partials.length - 1;
    const edited = withRange(run, last, (p) => ({ ...p, endedAt: p.endedAt - 1 }));
    expect(() => proveCoverage(run.plan, edited)).toThrow(CoverageError);
  });

  it("a record counted in a blank-line slot is caught even when read still adds up", async () => {
    // read = ok + corrupt + sampledOut holds, but one more line than the range owns.
    const run = await realRun();
    const edited = withRange(run, 0, (p) =>
      rows(p, { read: p.aggregate.rows.read + 1, ok: p.aggregate.rows.ok + 1 }),
    );
    expect(() => proveCoverage(run.plan, edited)).toThrow(/lines \d+ != read \+ blank/);
  });
});

/** A real run with corrupt records on file lines 3, 9 (after a blank line on 8) and 15. */
async function runWithCorruptLines(): Promise<CoreRun> {
  const lines = [...LINES];
  lines[1] = "broken";
  lines.splice(6, 0, "");
  lines[7] = "also,broken";
  lines.push("last,one,broken");
  return runCore({ bytes: csvFile(lines), rangeBytes: 200 });
}

/** The partials as the map stage writes them: quarantined records not numbered yet. */
function unnumbered(partials: readonly RangePartial[]): RangePartial[] {
  return partials.map((p) => ({
    ...p,
    aggregate: { ...p.aggregate, quarantine: p.aggregate.quarantine.map((q) => ({ ...q, line: 0 })) },
  }));
}

describe("numberedQuarantine", () => {
  it("numbers quarantined records by file line (header = line 1), across ranges and blank lines", async () => {
    // Prepare
    const run = await runWithCorruptLines();
    const partials = unnumbered(run.partials).reverse();

    // Act
    const numbered = numberedQuarantine(partials);

    // Assess: in file order, as the reducer's merged quarantine; the partials are left unnumbered.
    expect(numbered.map((q) => [q.line, q.raw])).toEqual([
      [3, "broken"],
      [9, "also,broken"],
      [15, "last,one,broken"],
    ]);
    expect(numbered).toEqual(run.merged.quarantine);
    expect(partials.flatMap((p) => p.aggregate.quarantine.map((q) => q.line))).toEqual([0, 0, 0]);
  });
});
