/**
 * The record aggregator has two ways to split a line: a byte loop for quote-free lines and
 * csv-parse (splitQuotedLine) for lines with a double quote. Differential proof that they agree:
 * a quote-free line and the same line with every field wrapped in double quotes (which sends it
 * down the csv-parse path) must give identical aggregates, whatever the bytes.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Aggregate } from "../../functions/core/aggregate";
import { ipCountList } from "../../functions/core/aggregate";
import { parseHeader } from "../../functions/core/header";
import { splitQuotedLine } from "../../functions/core/quoted-line";
import { RecordAggregator } from "../../functions/core/record-aggregator";
import { edgarRowArb } from "../helpers/edgar-arbitraries";
import { bytesOf, csvLine, EDGAR_COLUMNS, EDGAR_HEADER, edgarRow, utf8 } from "../helpers/edgar-csv";

const SEED = 424_242;
const header = parseHeader(utf8(EDGAR_HEADER), EDGAR_HEADER.length + 1, "test.csv");
const COMMA = 44;
const QUOTE = 34;
const LF = 10;

/** Aggregates lines as a range would, each at the given offset, in permissive mode. */
function aggregate(lines: readonly Uint8Array[], offsets: readonly number[]): Aggregate {
  const agg = new RecordAggregator({
    header,
    mode: "permissive",
    sample: null,
    maxRecordBytes: 1 << 20,
    quarantineLimit: 1_000_000,
  });
  lines.forEach((line, i) => {
    agg.line(line, 0, line.length, offsets[i]!);
  });
  return agg.result();
}

/** The quarantined `raw` is the record as written, so it legitimately differs; nothing else may. */
function withoutRaw(agg: Aggregate) {
  return { ...agg, quarantine: agg.quarantine.map(({ raw: _, ...q }) => q) };
}

/** One field's bytes: never a comma, double quote or LF (those are the CSV's own). */
const fieldUnit = fc.oneof(
  fc.constantFrom(
    "0",
    "1",
    "9",
    ".",
    ":",
    "-",
    "a",
    "Z",
    " ",
    "\t",
    "\r",
    "é",
    "日",
    "😀",
    "\uFEFF",
    "\u0000",
    "\uFFFD",
  ),
  fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
);
const textField = fc.string({ unit: fieldUnit, maxLength: 12 }).map((s) => utf8(s.replace(/[",\n]/g, "")));
const rawBytesField = fc
  .uint8Array({ minLength: 1, maxLength: 6 })
  .map((b) => b.filter((x) => x !== COMMA && x !== QUOTE && x !== LF));
const randomField = fc.oneof({ weight: 4, arbitrary: textField }, { weight: 1, arbitrary: rawBytesField });

/**
 * Quote-free lines as field byte arrays: a valid row with up to three fields replaced by random
 * bytes (ASCII, UTF-8, CR, NUL, BOM, empty, invalid UTF-8), sometimes one field too few or many.
 */
const quoteFreeFields: fc.Arbitrary<Uint8Array[]> = fc
  .record({
    row: edgarRowArb(false),
    changes: fc.array(fc.tuple(fc.nat({ max: 14 }), randomField), { maxLength: 3 }),
    count: fc.constantFrom(15, 15, 15, 15, 14, 16),
  })
  .map(({ row, changes, count }) => {
    const fields = EDGAR_COLUMNS.map((c) => utf8(row[c]));
    for (const [i, value] of changes) fields[i] = value;
    if (count === 14) fields.pop();
    if (count === 16) fields.push(utf8("extra"));
    return fields;
  });

/** Up to 40 lines of such records: a file's worth for one range. */
const quoteFreeFile = fc.array(quoteFreeFields, { minLength: 1, maxLength: 40, size: "max" });

const join = (fields: readonly Uint8Array[]) =>
  bytesOf(...fields.flatMap((f, i) => (i === 0 ? [f] : [",", f])));
const joinQuoted = (fields: readonly Uint8Array[]) =>
  bytesOf(...fields.flatMap((f, i) => (i === 0 ? ['"', f, '"'] : [',"', f, '"'])));

describe("the byte fast path equals csv-parse on quote-free lines", () => {
  it("a file's aggregate is unchanged when every field is wrapped in double quotes", () => {
    fc.assert(
      fc.property(quoteFreeFile, (rows) => {
        // Prepare
        const plain = rows.map(join);
        const quoted = rows.map(joinQuoted);
        const offsets = rows.map((_, i) => 1000 + 997 * i);

        // Act
        const fast = aggregate(plain, offsets);
        const parsed = aggregate(quoted, offsets);

        // Assess
        expect(plain.every((l) => !l.includes(QUOTE))).toBe(true);
        expect(withoutRaw(fast)).toEqual(withoutRaw(parsed));
      }),
      { seed: SEED, numRuns: 400 },
    );
  });

  it("splitQuotedLine finds the fields a plain comma split finds, for valid UTF-8", () => {
    fc.assert(
      fc.property(quoteFreeFields, (fields) => {
        const quoted = joinQuoted(fields);
        const split = splitQuotedLine(quoted);
        const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
        let texts: string[];
        try {
          texts = fields.map((f) => decoder.decode(f));
        } catch {
          expect(split).toMatchObject({ kind: "error", reason: "invalid_utf8" });
          return;
        }
        expect(split.kind).toBe("fields");
        if (split.kind !== "fields") return;
        const got = Array.from(split.starts, (s, i) =>
          decoder.decode(split.bytes.subarray(s, split.ends[i])),
        );
        expect(got).toEqual(texts);
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });

  it("the generator reaches both ok rows and corrupt rows (guards the property above)", () => {
    const samples = fc.sample(quoteFreeFile, { seed: SEED, numRuns: 100 });
    const totals = samples
      .map((rows) =>
        aggregate(
          rows.map(join),
          rows.map((_, i) => i),
        ),
      )
      .reduce(
        (t, a) => ({
          ok: t.ok + a.rows.ok,
          corrupt: t.corrupt + a.rows.corrupt,
          errors: t.errors + a.serverErrors.offset.length,
          reasons: new Set([...t.reasons, ...Object.keys(a.corruptByReason)]),
        }),
        { ok: 0, corrupt: 0, errors: 0, reasons: new Set<string>() },
      );
    expect(totals.ok).toBeGreaterThan(500);
    expect(totals.corrupt).toBeGreaterThan(200);
    expect(totals.errors).toBeGreaterThan(50);
    expect([...totals.reasons].sort()).toEqual(
      ["bad_code", "bad_date", "bad_time", "column_count", "invalid_utf8", "missing_required"].sort(),
    );
  });
});

describe("quoted records", () => {
  it("quoted commas and escaped quotes are data, and the row is typed like an unquoted one", () => {
    // Prepare
    const plain = utf8(csvLine(edgarRow({ code: "503.0", extention: "x.txt" })));
    const fancy = utf8(
      csvLine(edgarRow({ code: '"503.0"', extention: '"a,b ""c"".txt"', browser: '"日本,😀"' })),
    );

    // Act
    const a = aggregate([plain, fancy], [100, 200]);

    // Assess
    expect(a.rows).toMatchObject({ read: 2, ok: 2, corrupt: 0 });
    expect(a.serverErrors.extention).toEqual(["x.txt", 'a,b "c".txt']);
    expect(a.serverErrors.code).toEqual([503, 503]);
  });

  it.each([
    ['"unclosed', "unclosed_quote"],
    ['ab"c', "bad_quoting"],
    ['"ab"c', "bad_quoting"],
    ['"ab" ', "bad_quoting"],
  ])("browser %s makes the record %s", (browser, reason) => {
    const a = aggregate([utf8(csvLine(edgarRow({ browser })))], [0]);
    expect(a.rows).toMatchObject({ read: 1, ok: 0, corrupt: 1 });
    expect(a.quarantine.map((q) => q.reason)).toEqual([reason]);
  });
});

describe("splitQuotedLine's errors", () => {
  it("say what is wrong in one line, in csv-parse's words without its line number (always 1 here)", () => {
    expect(splitQuotedLine(utf8('x,"unclosed'))).toEqual({
      kind: "error",
      reason: "unclosed_quote",
      detail: "a quoted field is not closed on this line (a quoted line break is not supported)",
    });
    expect(splitQuotedLine(utf8('ab"c'))).toEqual({
      kind: "error",
      reason: "bad_quoting",
      detail: 'Invalid Opening Quote: a quote is found on field 0, value is "ab"',
    });
    expect(splitQuotedLine(utf8('"ab"c,d'))).toEqual({
      kind: "error",
      reason: "bad_quoting",
      detail:
        'Invalid Closing Quote: got "c" instead of delimiter, record delimiter, trimable character (if activated) or comment',
    });
  });

  it("an empty line has no fields", () => {
    const split = splitQuotedLine(new Uint8Array(0));
    expect(split).toMatchObject({ kind: "fields" });
    if (split.kind === "fields")
      expect([split.bytes.length, split.starts.length, split.ends.length]).toEqual([0, 0, 0]);
  });
});

describe("text values are kept as written", () => {
  // Regression: splitQuotedLine's TextDecoder used to strip a leading U+FEFF that the byte path
  // keeps, so one ip counted as two depending on whether an unrelated field was quoted.
  it("a record starting with U+FEFF keeps it in ip whether or not another field is quoted", () => {
    const plain = utf8(`\uFEFF${csvLine(edgarRow({ ip: "1.2.3.4", extention: "x.txt" }))}`);
    const quoted = utf8(`\uFEFF${csvLine(edgarRow({ ip: "1.2.3.4", extention: '"x.txt"' }))}`);

    const a = aggregate([plain, quoted], [100, 200]);

    expect(ipCountList(a.ipCounts)).toEqual({ ip: ["\uFEFF1.2.3.4"], count: [2] });
  });

  // Regression: extention used to be decoded with ignoreBOM false, losing a leading U+FEFF.
  it("an extention starting with U+FEFF is written to server_errors unchanged", () => {
    const line = utf8(csvLine(edgarRow({ code: "503.0", extention: "\uFEFFx.txt" })));

    const a = aggregate([line], [100]);

    expect(a.serverErrors.extention).toEqual(["\uFEFFx.txt"]);
  });
});
