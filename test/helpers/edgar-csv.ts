/**
 * Hand-written EDGAR log CSV building blocks for tests: the header as the SEC writes it, a valid
 * row, and byte helpers. Written out literally (not derived from the product's schema) so that a
 * change to the schema is caught by the tests instead of followed by them.
 */

export const EDGAR_COLUMNS = [
  "ip",
  "date",
  "time",
  "zone",
  "cik",
  "accession",
  "extention",
  "code",
  "size",
  "idx",
  "norefer",
  "noagent",
  "find",
  "crawler",
  "browser",
] as const;
export type EdgarColumn = (typeof EDGAR_COLUMNS)[number];
export type EdgarRow = Record<EdgarColumn, string>;

export const EDGAR_HEADER = EDGAR_COLUMNS.join(",");

/** A valid row shaped like the real 2017 files; override any field. */
export function edgarRow(overrides: Partial<EdgarRow> = {}): EdgarRow {
  return {
    ip: "101.81.133.jja",
    date: "2017-06-30",
    time: "00:00:00",
    zone: "0.0",
    cik: "1608552.0",
    accession: "0001047469-17-004337",
    extention: "-index.htm",
    code: "200.0",
    size: "80251.0",
    idx: "1.0",
    norefer: "0.0",
    noagent: "0.0",
    find: "9.0",
    crawler: "0.0",
    browser: "",
    ...overrides,
  };
}

/** The row's fields in `columns` order, joined by commas, unquoted. */
export function csvLine(row: EdgarRow, columns: readonly EdgarColumn[] = EDGAR_COLUMNS): string {
  return columns.map((c) => row[c]).join(",");
}

/** A CSV field, double-quoted (with `"` doubled) when asked or when it needs it. */
export function csvField(value: string, quote = false): string {
  return quote || value.includes(",") || value.includes('"') ? `"${value.replaceAll('"', '""')}"` : value;
}

const encoder = new TextEncoder();

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Concatenates strings (as UTF-8) and raw byte arrays. */
export function bytesOf(...parts: readonly (string | Uint8Array)[]): Uint8Array {
  return Buffer.concat(parts.map((p) => (typeof p === "string" ? encoder.encode(p) : p)));
}

/** A CSV file: header plus lines, each ending in `eol`. */
export function csvFile(lines: readonly string[], eol = "\n", header = EDGAR_HEADER): Uint8Array {
  return utf8([header, ...lines].map((l) => l + eol).join(""));
}

/** 1-based line number of the line starting at `offset` (the header is line 1): LFs before it + 1. */
export function lineNumberOf(bytes: Uint8Array, offset: number): number {
  let n = 1;
  for (let i = 0; i < offset; i++) if (bytes[i] === 10) n++;
  return n;
}
