/**
 * The declared schema of an EDGAR server-log CSV (SEC "EDGAR Log File Data Set").
 * Column order is the SEC's; a file may list them in any order, but all must be present.
 */

export type ColumnKind =
  /** non-empty text */
  | "text"
  /** YYYY-MM-DD */
  | "date"
  /** HH:MM:SS or H:MM:SS */
  | "time"
  /** an integer written `123`, `123.0` or `123.00` (what the SEC and spreadsheets write) */
  | "integer";

export interface ColumnSpec {
  readonly name: string;
  readonly kind: ColumnKind;
  /** A required column that is empty or does not parse makes the record corrupt. */
  readonly required: boolean;
}

export const EDGAR_COLUMNS = [
  { name: "ip", kind: "text", required: true },
  { name: "date", kind: "date", required: true },
  { name: "time", kind: "time", required: true },
  { name: "zone", kind: "integer", required: false },
  { name: "cik", kind: "integer", required: false },
  { name: "accession", kind: "text", required: false },
  { name: "extention", kind: "text", required: false },
  { name: "code", kind: "integer", required: true },
  { name: "size", kind: "integer", required: false },
  { name: "idx", kind: "integer", required: false },
  { name: "norefer", kind: "integer", required: false },
  { name: "noagent", kind: "integer", required: false },
  { name: "find", kind: "integer", required: false },
  { name: "crawler", kind: "integer", required: false },
  { name: "browser", kind: "text", required: false },
] as const satisfies readonly ColumnSpec[];

export type EdgarColumnName = (typeof EDGAR_COLUMNS)[number]["name"];

export const EDGAR_COLUMN_NAMES: readonly EdgarColumnName[] = EDGAR_COLUMNS.map((c) => c.name);

/** Index of each schema column in EDGAR_COLUMNS (not in the file: see HeaderLayout). */
export const COLUMN_INDEX = Object.fromEntries(EDGAR_COLUMNS.map((c, i) => [c.name, i])) as Record<
  EdgarColumnName,
  number
>;
