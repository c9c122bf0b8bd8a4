/**
 * fast-check generators of EDGAR-like CSV files with a model of what every line is: blank, an ok
 * row (with its logical field values), or corrupt for one known reason. The expected aggregate is
 * computed from that model by plain counting here, never by the product's code.
 */
import fc from "fast-check";
import { csvField, EDGAR_COLUMNS, type EdgarColumn, type EdgarRow, utf8 } from "./edgar-csv";
import { compareUtf8 } from "./tables";

export type CorruptReasonName =
  | "column_count"
  | "unclosed_quote"
  | "bad_quoting"
  | "invalid_utf8"
  | "too_long"
  | "missing_required"
  | "bad_date"
  | "bad_time"
  | "bad_code";

export type LineOutcome =
  | { readonly kind: "blank" }
  | { readonly kind: "ok"; readonly row: EdgarRow }
  | { readonly kind: "corrupt"; readonly reason: CorruptReasonName };

export interface ModelLine {
  /** Byte offset of the line's first byte. */
  readonly offset: number;
  /** 1-based line number; the header is line 1. */
  readonly line: number;
  /** The line's bytes without its line break. */
  readonly content: Uint8Array;
  readonly outcome: LineOutcome;
}

export interface GeneratedCsv {
  readonly bytes: Uint8Array;
  readonly columns: readonly EdgarColumn[];
  readonly lines: readonly ModelLine[];
  readonly maxRecordBytes: number;
  readonly layout: CsvLayout;
}

/** Optional integers that do not parse as the schema's integers (real data has the first two). */
export const INVALID_INTEGERS = ["1.21e+24", "1.96170000891092E+022", "12.5", "n/a"] as const;

const MAX_RECORD_BYTES = 300;

const SIMPLE_IPS = [
  "101.81.133.jja",
  "107.23.85.jfd",
  "10.0.0.abc",
  "1.2.3.4",
  "66.249.é.x",
  "日本.1.2.3",
  "😀.4.5",
];
/** Need quoting: a comma, or a double quote (escaped as ""). */
const QUOTED_IPS = ["a,b.1.2", 'q"q.3.4'];
const DATES = ["2017-06-30", "2003-02-22", "2016-02-29", "2000-02-29", "1970-01-01", "2099-12-31"];
const CODES = [0, 200, 206, 301, 304, 404, 500, 502, 503, 504, 599];
const SIMPLE_EXTENTIONS = [".txt", "-index.htm", "é.htm", "日本.txt", "😀.pdf", "x\ry.txt", ""];
const QUOTED_EXTENTIONS = ["a,b.txt", 'say "hi".htm', '""'];
const SIMPLE_BROWSERS = ["", "win", "mie", "日本語", "😀", "a\rb"];
const QUOTED_BROWSERS = ["a,b", 'q"q'];
const ACCESSIONS = ["0001047469-17-004337", "9999999997-03-006003", ""];

const integerText = fc
  .tuple(fc.nat({ max: 9_999_999 }), fc.constantFrom("", ".0", ".00"))
  .map(([n, suffix]) => `${n}${suffix}`);
const optionalInteger = fc.oneof(
  { weight: 4, arbitrary: integerText },
  { weight: 1, arbitrary: fc.constant("") },
);
const cikText = fc.oneof(
  { weight: 4, arbitrary: optionalInteger },
  { weight: 1, arbitrary: fc.constantFrom(...INVALID_INTEGERS) },
);
const timeText = fc
  .tuple(
    fc.integer({ min: 0, max: 23 }),
    fc.integer({ min: 0, max: 59 }),
    fc.integer({ min: 0, max: 59 }),
    fc.boolean(),
  )
  .map(([h, m, s, short]) => {
    const mm = String(m).padStart(2, "0");
    const ss = String(s).padStart(2, "0");
    return `${short && h < 10 ? h : String(h).padStart(2, "0")}:${mm}:${ss}`;
  });
const codeText = fc
  .tuple(fc.constantFrom(...CODES), fc.constantFrom("", ".0", ".00"))
  .map(([c, suffix]) => `${c}${suffix}`);

/** A valid row. `fancy` allows values that need quoting (commas, double quotes). */
export function edgarRowArb(fancy: boolean): fc.Arbitrary<EdgarRow> {
  const pick = (simple: readonly string[], quoted: readonly string[]) =>
    fancy ? fc.constantFrom(...simple, ...quoted) : fc.constantFrom(...simple);
  return fc.record({
    ip: pick(SIMPLE_IPS, QUOTED_IPS),
    date: fc.constantFrom(...DATES),
    time: timeText,
    zone: optionalInteger,
    cik: cikText,
    accession: fc.constantFrom(...ACCESSIONS),
    extention: pick(SIMPLE_EXTENTIONS, QUOTED_EXTENTIONS),
    code: codeText,
    size: optionalInteger,
    idx: optionalInteger,
    norefer: optionalInteger,
    noagent: optionalInteger,
    find: optionalInteger,
    crawler: optionalInteger,
    browser: pick(SIMPLE_BROWSERS, QUOTED_BROWSERS),
  });
}

export type LineSpec =
  | { kind: "blank" }
  | { kind: "ok"; row: EdgarRow; quote: boolean[] }
  | { kind: "column_count"; row: EdgarRow; drop: number | null }
  | { kind: "unclosed_quote"; row: EdgarRow; column: EdgarColumn }
  | { kind: "bad_quoting"; row: EdgarRow; column: EdgarColumn; closing: boolean }
  | { kind: "invalid_utf8"; row: EdgarRow; column: EdgarColumn; bad: number[] }
  | { kind: "too_long"; row: EdgarRow; extra: number }
  | { kind: "required"; reason: CorruptReasonName; row: EdgarRow };

const TEXT_COLUMNS: EdgarColumn[] = ["ip", "accession", "extention", "browser"];
/** A row missing any of these is corrupt. */
const REQUIRED_COLUMNS: EdgarColumn[] = ["ip", "date", "time", "code"];
/** The columns neither text nor required: an integer, or empty. */
const OPTIONAL_INTEGER_COLUMNS = EDGAR_COLUMNS.filter(
  (c) => !TEXT_COLUMNS.includes(c) && !REQUIRED_COLUMNS.includes(c),
);
const INVALID_UTF8 = [
  [0xff],
  [0x80],
  [0xc3],
  [0xe6, 0x97],
  [0xed, 0xa0, 0x80],
  [0xc0, 0xaf],
  [0xf0, 0x9f, 0x98],
];
const anyColumn = fc.constantFrom(...EDGAR_COLUMNS);
const plainRow = edgarRowArb(false);

const requiredDefect = fc.oneof(
  fc.record({
    reason: fc.constant<CorruptReasonName>("missing_required"),
    field: fc.constantFrom(...REQUIRED_COLUMNS),
    value: fc.constant(""),
  }),
  fc.record({
    reason: fc.constant<CorruptReasonName>("bad_date"),
    field: fc.constant<EdgarColumn>("date"),
    value: fc.constantFrom(
      "2017-13-01",
      "2017-02-29",
      "2017-04-31",
      "17-06-30",
      "2017/06/30",
      "1969-12-31",
      "x",
    ),
  }),
  fc.record({
    reason: fc.constant<CorruptReasonName>("bad_time"),
    field: fc.constant<EdgarColumn>("time"),
    value: fc.constantFrom("24:00:00", "12:60:00", "12:00:60", "12:00", "1:2:03", "ab:cd:ef", "123:00:00"),
  }),
  fc.record({
    reason: fc.constant<CorruptReasonName>("bad_code"),
    field: fc.constant<EdgarColumn>("code"),
    value: fc.constantFrom("abc", "1000", "1000.0", "-1", "2.5", "5e2", "200x"),
  }),
);

const lineSpec: fc.Arbitrary<LineSpec> = fc.oneof(
  { weight: 2, arbitrary: fc.constant<LineSpec>({ kind: "blank" }) },
  {
    weight: 14,
    arbitrary: fc
      .record({
        row: fc.oneof(edgarRowArb(false), edgarRowArb(true)),
        // Mostly unquoted (the byte fast path), some fields quoted, or every field quoted.
        quote: fc.oneof(
          { weight: 3, arbitrary: fc.constant(new Array<boolean>(15).fill(false)) },
          { weight: 1, arbitrary: fc.array(fc.boolean(), { minLength: 15, maxLength: 15 }) },
          { weight: 1, arbitrary: fc.constant(new Array<boolean>(15).fill(true)) },
        ),
      })
      .map((r): LineSpec => ({ kind: "ok", ...r })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ row: plainRow, drop: fc.option(fc.nat({ max: 14 }), { nil: null }) })
      .map((r): LineSpec => ({ kind: "column_count", ...r })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ row: plainRow, column: anyColumn })
      .map((r): LineSpec => ({ kind: "unclosed_quote", ...r })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ row: plainRow, column: anyColumn, closing: fc.boolean() })
      .map((r): LineSpec => ({ kind: "bad_quoting", ...r })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({
        row: plainRow,
        column: fc.constantFrom(...TEXT_COLUMNS),
        bad: fc.constantFrom(...INVALID_UTF8),
      })
      .map((r): LineSpec => ({ kind: "invalid_utf8", ...r })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ row: plainRow, extra: fc.nat({ max: 400 }) })
      .map((r): LineSpec => ({ kind: "too_long", ...r })),
  },
  {
    weight: 2,
    arbitrary: fc.record({ row: plainRow, defect: requiredDefect }).map(
      ({ row, defect }): LineSpec => ({
        kind: "required",
        reason: defect.reason,
        row: { ...row, [defect.field]: defect.value },
      }),
    ),
  },
);

/** The line's bytes (without its line break) and what the pipeline must make of it. */
function renderLine(
  spec: LineSpec,
  columns: readonly EdgarColumn[],
  maxRecordBytes: number,
): { content: Uint8Array; outcome: LineOutcome } {
  const plain = (row: EdgarRow) => columns.map((c) => row[c]);
  const corrupt = (content: Uint8Array | string, reason: CorruptReasonName) => {
    const bytes = typeof content === "string" ? utf8(content) : content;
    return { content: bytes, outcome: { kind: "corrupt", reason } as const };
  };
  switch (spec.kind) {
    case "blank":
      return { content: new Uint8Array(0), outcome: { kind: "blank" } };
    case "ok": {
      const content = utf8(columns.map((c, i) => csvField(spec.row[c], spec.quote[i])).join(","));
      return content.length > maxRecordBytes
        ? corrupt(content, "too_long")
        : { content, outcome: { kind: "ok", row: spec.row } };
    }
    case "column_count": {
      const fields = plain(spec.row);
      if (spec.drop === null) fields.push("extra");
      else fields.splice(spec.drop, 1);
      return corrupt(fields.join(","), "column_count");
    }
    case "unclosed_quote": {
      const fields = plain(spec.row);
      const i = columns.indexOf(spec.column);
      fields[i] = `"${fields[i]}`;
      return corrupt(fields.join(","), "unclosed_quote");
    }
    case "bad_quoting": {
      const fields = plain(spec.row);
      const i = columns.indexOf(spec.column);
      fields[i] = spec.closing ? `"ab"c${fields[i]}` : `ab"c${fields[i]}`;
      return corrupt(fields.join(","), "bad_quoting");
    }
    case "invalid_utf8": {
      const i = columns.indexOf(spec.column);
      const parts: (Uint8Array | string)[] = [];
      plain(spec.row).forEach((f, j) => {
        if (j > 0) parts.push(",");
        parts.push(f);
        if (j === i) parts.push(Uint8Array.from(spec.bad));
      });
      return corrupt(Buffer.concat(parts.map((p) => (typeof p === "string" ? utf8(p) : p))), "invalid_utf8");
    }
    case "too_long":
      return corrupt(
        plain({ ...spec.row, browser: "z".repeat(maxRecordBytes + spec.extra) }).join(","),
        "too_long",
      );
    case "required":
      return corrupt(plain(spec.row).join(","), spec.reason);
  }
}

export interface CsvArbOptions {
  readonly maxLines?: number;
}

/**
 * EDGAR-like CSV files: header in canonical or shuffled column order (optionally after a BOM,
 * LF or CRLF), then valid rows (quoted or not, multi-byte UTF-8, CR inside fields, H:MM:SS
 * times, integers with and without `.0`, scientific-notation cik) mixed with blank lines and
 * corrupt records of every reason; each line ends in LF or CRLF, the last one maybe in nothing.
 */
export function edgarCsvArb({ maxLines = 40 }: CsvArbOptions = {}): fc.Arbitrary<GeneratedCsv> {
  return fc
    .record({
      shuffle: fc.boolean(),
      order: fc.shuffledSubarray([...EDGAR_COLUMNS], { minLength: 15, maxLength: 15 }),
      bom: fc.boolean(),
      headerCrlf: fc.boolean(),
      lines: fc.array(fc.tuple(lineSpec, fc.boolean()), { maxLength: maxLines, size: "max" }),
      finalNewline: fc.boolean(),
    })
    .map(({ shuffle, order, ...layout }) =>
      renderCsv({ ...layout, columns: shuffle ? order : [...EDGAR_COLUMNS] }),
    );
}

/** Everything a generated file is made from; render it again with other columns to reorder it. */
export interface CsvLayout {
  readonly columns: readonly EdgarColumn[];
  readonly bom: boolean;
  readonly headerCrlf: boolean;
  /** Each line's spec, and whether it ends in CRLF (else LF). */
  readonly lines: readonly (readonly [LineSpec, boolean])[];
  readonly finalNewline: boolean;
}

export function renderCsv(layout: CsvLayout): GeneratedCsv {
  const { columns, bom, headerCrlf, lines, finalNewline } = layout;
  const parts: Uint8Array[] = [
    utf8(`${bom ? "\uFEFF" : ""}${columns.join(",")}${headerCrlf ? "\r\n" : "\n"}`),
  ];
  let offset = parts[0]!.length;
  const model: ModelLine[] = [];
  lines.forEach(([spec, crlf], i) => {
    const { content, outcome } = renderLine(spec, columns, MAX_RECORD_BYTES);
    const last = i === lines.length - 1;
    // A final line with no line break must not be empty, or it is no line at all.
    const eol = last && !finalNewline && content.length > 0 ? "" : crlf ? "\r\n" : "\n";
    parts.push(content, utf8(eol));
    model.push({ offset, line: i + 2, content, outcome });
    offset += content.length + eol.length;
  });
  return { bytes: Buffer.concat(parts), columns, lines: model, maxRecordBytes: MAX_RECORD_BYTES, layout };
}

export interface ExpectedAggregate {
  rows: { read: number; ok: number; corrupt: number; sampledOut: number; blank: number };
  corruptByReason: Record<string, number>;
  quarantine: { offset: number; line: number; reason: string }[];
  serverErrors: {
    offset: number[];
    date: string[];
    time: string[];
    extention: (string | null)[];
    code: number[];
  };
  errorsByHour: number[];
  ipCounts: { ip: string[]; count: number[] };
  invalidByColumn: Record<EdgarColumn, number>;
  missingByColumn: Record<EdgarColumn, number>;
  minDate: string | null;
  maxDate: string | null;
  minTime: string | null;
  maxTime: string | null;
}

/** What a permissive run without sampling must produce, by counting the model's lines. */
export function expectedAggregate(lines: readonly ModelLine[]): ExpectedAggregate {
  const zero = () => Object.fromEntries(EDGAR_COLUMNS.map((c) => [c, 0])) as Record<EdgarColumn, number>;
  const e: ExpectedAggregate = {
    rows: { read: 0, ok: 0, corrupt: 0, sampledOut: 0, blank: 0 },
    corruptByReason: {},
    quarantine: [],
    serverErrors: { offset: [], date: [], time: [], extention: [], code: [] },
    errorsByHour: new Array(24).fill(0),
    ipCounts: { ip: [], count: [] },
    invalidByColumn: zero(),
    missingByColumn: zero(),
    minDate: null,
    maxDate: null,
    minTime: null,
    maxTime: null,
  };
  const ips = new Map<string, number>();
  const dates: string[] = [];
  const times: string[] = [];
  for (const { offset, line, outcome } of lines) {
    if (outcome.kind === "blank") {
      e.rows.blank++;
      continue;
    }
    e.rows.read++;
    if (outcome.kind === "corrupt") {
      e.rows.corrupt++;
      e.corruptByReason[outcome.reason] = (e.corruptByReason[outcome.reason] ?? 0) + 1;
      e.quarantine.push({ offset, line, reason: outcome.reason });
      continue;
    }
    const { row } = outcome;
    e.rows.ok++;
    for (const c of EDGAR_COLUMNS) if (row[c] === "") e.missingByColumn[c]++;
    for (const c of OPTIONAL_INTEGER_COLUMNS) {
      if ((INVALID_INTEGERS as readonly string[]).includes(row[c])) e.invalidByColumn[c]++;
    }
    ips.set(row.ip, (ips.get(row.ip) ?? 0) + 1);
    const time = row.time.padStart(8, "0");
    dates.push(row.date);
    times.push(time);
    const code = Number.parseInt(row.code, 10);
    if (code >= 500 && code < 600) {
      e.serverErrors.offset.push(offset);
      e.serverErrors.date.push(row.date);
      e.serverErrors.time.push(time);
      e.serverErrors.extention.push(row.extention === "" ? null : row.extention);
      e.serverErrors.code.push(code);
      e.errorsByHour[Number.parseInt(time.slice(0, 2), 10)]!++;
    }
  }
  const sortedIps = [...ips.keys()].sort(compareUtf8);
  e.ipCounts = { ip: sortedIps, count: sortedIps.map((ip) => ips.get(ip)!) };
  dates.sort();
  times.sort();
  e.minDate = dates[0] ?? null;
  e.maxDate = dates.at(-1) ?? null;
  e.minTime = times[0] ?? null;
  e.maxTime = times.at(-1) ?? null;
  return e;
}
