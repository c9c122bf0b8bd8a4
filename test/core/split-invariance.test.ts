/**
 * The core's central promise (docs/architecture.md §2–§3): cutting a file into byte ranges, and
 * reading those ranges in chunks of any size, changes nothing. Property tests over generated
 * EDGAR-like files with every kind of awkward line; the single-range run is itself checked against
 * a model of the file computed by counting, so "equal to the single-range run" cannot hide a shared
 * mistake.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CorruptMode, SampleSpec } from "../../functions/contracts";
import { ipCountList } from "../../functions/core/aggregate";
import { CorruptRecordError } from "../../functions/core/errors";
import { tableRows } from "../../functions/core/tables";
import { edgarCsvArb, expectedAggregate, type GeneratedCsv } from "../helpers/edgar-arbitraries";
import { EDGAR_COLUMNS, EDGAR_HEADER, csvLine as edgarLine, edgarRow, utf8 } from "../helpers/edgar-csv";
import { heavyProperty } from "../helpers/property";
import { type CoreRun, runCore, splitIndependent } from "../helpers/run-core";
import { compareUtf8 } from "../helpers/tables";

/** Fixed so that a failure reproduces; fast-check prints the counterexample and its path. */
const SEED = 20_240_607;
const RUNS = 200;

type RangeChoice =
  | { kind: "one" }
  | { kind: "prime"; bytes: number }
  | { kind: "fraction"; share: number }
  | { kind: "whole" };

const rangeChoiceArb: fc.Arbitrary<RangeChoice> = fc.oneof(
  fc.constant<RangeChoice>({ kind: "one" }),
  fc.constantFrom(2, 3, 5, 7, 13, 31, 97, 251, 1021).map((bytes): RangeChoice => ({ kind: "prime", bytes })),
  fc.double({ min: 0, max: 1, noNaN: true }).map((share): RangeChoice => ({ kind: "fraction", share })),
  fc.constant<RangeChoice>({ kind: "whole" }),
);

function rangeBytesFor(choice: RangeChoice, size: number): number {
  switch (choice.kind) {
    case "one":
      return 1;
    case "prime":
      return choice.bytes;
    case "fraction":
      return Math.max(1, Math.floor(choice.share * size));
    case "whole":
      return Math.max(1, size);
  }
}

const chunkBytesArb = fc.oneof(
  fc.constantFrom(1, 2, 3, 7),
  fc.integer({ min: 1, max: 600 }),
  fc.constant(1 << 16),
);
const sampleArb: fc.Arbitrary<SampleSpec> = fc.record({
  fraction: fc.double({ min: 0.05, max: 0.95, noNaN: true }),
  seed: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
});

function run(
  csv: GeneratedCsv,
  mode: CorruptMode,
  sample: SampleSpec | null,
  rangeBytes?: number,
  chunkBytes?: number,
) {
  return runCore({
    bytes: csv.bytes,
    rangeBytes,
    chunkBytes,
    // The quarantine cap is per range by design, so it is lifted to compare different splits.
    options: { mode, sample, maxRecordBytes: csv.maxRecordBytes, quarantineLimitPerRange: 1_000_000 },
  });
}

/** Everything a run's outputs depend on: the merged aggregate and the four tables. */
function outputsOf(r: CoreRun) {
  return { merged: splitIndependent(r.merged), tables: r.tables };
}

async function outcome(p: Promise<CoreRun>): Promise<{ run: CoreRun } | { error: unknown }> {
  try {
    return { run: await p };
  } catch (error) {
    return { error };
  }
}

const lossy = new TextDecoder("utf-8", { ignoreBOM: true });

describe("a single-range run matches the model of the generated file", () => {
  it("counts, quarantine, server errors, hours, ip counts, invalid and missing values, min/max", async () => {
    await fc.assert(
      fc.asyncProperty(edgarCsvArb(), async (csv) => {
        // Act
        const { merged, tables, coverage } = await run(csv, "permissive", null);

        // Assess
        const e = expectedAggregate(csv.lines);
        expect(coverage.size).toBe(csv.bytes.length);
        expect(merged.rows).toEqual(e.rows);
        expect(merged.corruptByReason).toEqual(e.corruptByReason);
        expect(merged.quarantine.map(({ offset, line, reason }) => ({ offset, line, reason }))).toEqual(
          e.quarantine,
        );
        // The raw record is the line as text, invalid UTF-8 replaced (all under RAW_CLIP_CHARS).
        expect(merged.quarantine.map((q) => q.raw)).toEqual(
          csv.lines.filter((l) => l.outcome.kind === "corrupt").map((l) => lossy.decode(l.content)),
        );
        expect(merged.serverErrors).toEqual(e.serverErrors);
        expect(merged.errorsByHour).toEqual(e.errorsByHour);
        expect(ipCountList(merged.ipCounts)).toEqual(e.ipCounts);
        expect(merged.invalidByColumn).toEqual(e.invalidByColumn);
        expect(merged.missingByColumn).toEqual(e.missingByColumn);
        expect([merged.minDate, merged.maxDate, merged.minTime, merged.maxTime]).toEqual([
          e.minDate,
          e.maxDate,
          e.minTime,
          e.maxTime,
        ]);
        const ranked = e.ipCounts.ip
          .map((ip, i) => ({ ip, count: e.ipCounts.count[i]! }))
          .sort((a, b) => b.count - a.count || compareUtf8(a.ip, b.ip));
        expect(tableRows(tables.top_ips)).toEqual(ranked.slice(0, 20).map((r, i) => ({ rank: i + 1, ...r })));
        expect(tableRows(tables.ip_counts)).toEqual(ranked);
        expect(tableRows(tables.errors_by_hour)).toEqual(
          e.errorsByHour.flatMap((count, hour) => (count > 0 ? [{ hour, count }] : [])),
        );
        expect(tableRows(tables.server_errors)).toEqual(
          e.serverErrors.offset.map((_, i) => ({
            date: e.serverErrors.date[i],
            time: e.serverErrors.time[i],
            extention: e.serverErrors.extention[i],
            code: e.serverErrors.code[i],
          })),
        );
      }),
      heavyProperty(SEED, RUNS),
    );
  });
});

describe("any split into ranges and any chunking give the single-range result", () => {
  it("permissive: merged aggregate, all four tables and quarantine (offset, line, reason, raw)", async () => {
    await fc.assert(
      fc.asyncProperty(edgarCsvArb(), rangeChoiceArb, chunkBytesArb, async (csv, choice, chunkBytes) => {
        // Prepare
        const rangeBytes = rangeBytesFor(choice, csv.bytes.length);
        const whole = await run(csv, "permissive", null);

        // Act: runCore proves coverage (proveCoverage throws on any gap, overlap or bad count)
        const split = await run(csv, "permissive", null, rangeBytes, chunkBytes);

        // Assess
        expect(split.plan.ranges.length).toBe(
          Math.ceil((csv.bytes.length - whole.plan.header.dataStart) / rangeBytes),
        );
        expect(outputsOf(split)).toEqual(outputsOf(whole));
      }),
      heavyProperty(SEED, RUNS),
    );
  });

  it("dropmalformed: the same counts and tables, nothing quarantined", async () => {
    await fc.assert(
      fc.asyncProperty(edgarCsvArb(), rangeChoiceArb, chunkBytesArb, async (csv, choice, chunkBytes) => {
        const whole = await run(csv, "dropmalformed", null);
        const split = await run(
          csv,
          "dropmalformed",
          null,
          rangeBytesFor(choice, csv.bytes.length),
          chunkBytes,
        );

        const e = expectedAggregate(csv.lines);
        expect(whole.merged.rows).toEqual(e.rows);
        expect(whole.merged.corruptByReason).toEqual(e.corruptByReason);
        expect(whole.merged.quarantine).toEqual([]);
        expect(outputsOf(split)).toEqual(outputsOf(whole));
      }),
      heavyProperty(SEED, RUNS / 2),
    );
  });

  it("sampling: the same fraction and seed keep the same records whatever the split", async () => {
    await fc.assert(
      fc.asyncProperty(
        edgarCsvArb(),
        sampleArb,
        rangeChoiceArb,
        chunkBytesArb,
        async (csv, sample, choice, chunkBytes) => {
          // Prepare
          const all = await run(csv, "permissive", null);
          const whole = await run(csv, "permissive", sample);

          // Act
          const split = await run(
            csv,
            "permissive",
            sample,
            rangeBytesFor(choice, csv.bytes.length),
            chunkBytes,
          );

          // Assess
          expect(outputsOf(split)).toEqual(outputsOf(whole));
          const rows = split.merged.rows;
          expect(rows.read).toBe(all.merged.rows.read);
          expect(rows.blank).toBe(all.merged.rows.blank);
          expect(rows.read).toBe(rows.ok + rows.corrupt + rows.sampledOut);
          // Kept records are a subset of the records, decided per record, not re-shuffled.
          const allErrors = new Set(all.merged.serverErrors.offset);
          expect(split.merged.serverErrors.offset.every((o) => allErrors.has(o))).toBe(true);
          const allCorrupt = new Set(all.merged.quarantine.map((q) => q.offset));
          expect(split.merged.quarantine.every((q) => allCorrupt.has(q.offset))).toBe(true);
        },
      ),
      heavyProperty(SEED, RUNS / 2),
    );
  });

  it("failfast: a split run fails iff the single-range run fails, naming a corrupt record", async () => {
    await fc.assert(
      fc.asyncProperty(
        edgarCsvArb(),
        fc.option(sampleArb, { nil: null }),
        rangeChoiceArb,
        chunkBytesArb,
        async (csv, sample, choice, chunkBytes) => {
          // Act
          const whole = await outcome(run(csv, "failfast", sample));
          const split = await outcome(
            run(csv, "failfast", sample, rangeBytesFor(choice, csv.bytes.length), chunkBytes),
          );

          // Assess
          const corrupt = new Map(
            csv.lines.flatMap((l) => (l.outcome.kind === "corrupt" ? [[l.offset, l]] : [])),
          );
          if (sample === null) expect("error" in whole).toBe(corrupt.size > 0);
          expect("error" in split).toBe("error" in whole);
          if ("run" in whole && "run" in split) {
            expect(outputsOf(split.run)).toEqual(outputsOf(whole.run));
            expect(split.run.merged.rows.corrupt).toBe(0);
          }
          for (const o of [whole, split]) {
            if (!("error" in o)) continue;
            expect(o.error).toBeInstanceOf(CorruptRecordError);
            const err = o.error as CorruptRecordError;
            const line = corrupt.get(err.offset);
            expect(line, `offset ${err.offset} is not a corrupt record`).toBeDefined();
            const reason = line!.outcome.kind === "corrupt" ? line!.outcome.reason : "";
            expect(err.reason).toBe(reason);
            expect(err.message).toContain(`byte ${err.offset}, line ${line!.line}: ${reason}`);
          }
        },
      ),
      heavyProperty(SEED, RUNS / 2),
    );
  });
});

describe("hand-picked splits", () => {
  const rows = [
    edgarLine(edgarRow({ ip: "1.1.1.a", code: "503.0", extention: "日本.txt" })),
    "",
    edgarLine(edgarRow({ ip: "2.2.2.b", time: "9:15:00", code: "500" })),
    edgarLine(edgarRow({ ip: "1.1.1.a", date: "2017-02-30" })),
  ];
  const text = `${EDGAR_HEADER}\r\n${rows.join("\r\n")}`;
  const bytes = utf8(text);

  it.each([1, 2, 3, 50, 94, 95, 96, 97, 150, 1000])(
    "rangeBytes %i: same output as one range",
    async (rangeBytes) => {
      const whole = await runCore({ bytes });
      for (const chunkBytes of [1, 5, 64]) {
        const split = await runCore({ bytes, rangeBytes, chunkBytes });
        expect(outputsOf(split)).toEqual(outputsOf(whole));
      }
      expect(whole.merged.rows).toEqual({ read: 3, ok: 2, corrupt: 1, sampledOut: 0, blank: 1 });
      expect(whole.merged.quarantine.map((q) => [q.line, q.reason])).toEqual([[5, "bad_date"]]);
    },
  );

  it("a range that starts exactly on a record's first byte owns that record", async () => {
    // Prepare: range 1 starts where the second record starts.
    const first = `${edgarLine(edgarRow({ ip: "first1" }))}\n`;
    const second = `${edgarLine(edgarRow({ ip: "second" }))}\n`;
    const file = utf8(`${EDGAR_HEADER}\n${first}${second}`);

    // Act
    const r = await runCore({ bytes: file, rangeBytes: utf8(first).length, chunkBytes: 4 });

    // Assess
    expect(r.partials.map((p) => ipCountList(p.aggregate.ipCounts).ip)).toEqual([["first1"], ["second"]]);
    expect(r.coverage.spans).toEqual([
      [EDGAR_HEADER.length + 1, EDGAR_HEADER.length + 1 + utf8(first).length],
      [EDGAR_HEADER.length + 1 + utf8(first).length, file.length],
    ]);
  });

  it("every column in EDGAR_COLUMNS is covered by the generator's header shuffle", () => {
    // Guards the helper: a shuffled header must still list all 15 columns once.
    const samples = fc.sample(edgarCsvArb(), { seed: SEED, numRuns: 50 });
    for (const s of samples) expect([...s.columns].sort()).toEqual([...EDGAR_COLUMNS].sort());
    expect(samples.some((s) => s.columns.join() !== EDGAR_COLUMNS.join())).toBe(true);
  });
});

describe("chunking does not change what is quarantined", () => {
  // Regression: a too_long record's `raw` used to be clipped to maxRecordBytes + 1 bytes when the
  // line crossed a chunk boundary (or ended the file), to RAW_CLIP_CHARS otherwise.
  it("a too_long record's raw text is the same for every chunk size", async () => {
    // Prepare: a 460-byte line, over a 100-byte maxRecordBytes, under RAW_CLIP_CHARS.
    const line = edgarLine(edgarRow({ browser: "b".repeat(400) }));
    const bytes = utf8(`${EDGAR_HEADER}\n${line}\n`);

    // Act
    const raws = [];
    for (const chunkBytes of [1 << 20, 7, 1]) {
      const r = await runCore({ bytes, chunkBytes, options: { maxRecordBytes: 100 } });
      raws.push(r.merged.quarantine.map((q) => [q.reason, q.raw]));
    }

    // Assess: the record as text, clipped to RAW_CLIP_CHARS (1024) only
    expect(raws).toEqual([[["too_long", line]], [["too_long", line]], [["too_long", line]]]);
  });

  it("a record longer than RAW_CLIP_CHARS is quoted by its first 1024 characters, whatever the chunking", async () => {
    // Prepare: ~6 KB of 2-byte characters, last in the file with no final newline
    const line = edgarLine(edgarRow({ browser: "é".repeat(3000) }));
    const bytes = utf8(`${EDGAR_HEADER}\n${edgarLine(edgarRow())}\n${line}`);

    for (const chunkBytes of [1 << 20, 4096, 7, 1]) {
      // Act
      const { merged } = await runCore({ bytes, chunkBytes, options: { maxRecordBytes: 1000 } });

      // Assess
      expect(merged.quarantine.map((q) => [q.line, q.reason, q.raw])).toEqual([
        [3, "too_long", line.slice(0, 1024)],
      ]);
    }
  });
});
