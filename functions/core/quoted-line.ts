/**
 * The slow, exact path for a record that contains a double quote: csv-parse is the authority on
 * quoting. Its fields are re-encoded into one byte buffer so that the same byte-level typing code
 * serves both paths.
 */
import { parse } from "csv-parse/sync";
import type { CorruptReason } from "./aggregate";

export type QuotedLineSplit =
  | { kind: "fields"; bytes: Uint8Array; starts: Int32Array; ends: Int32Array }
  | { kind: "error"; reason: CorruptReason; detail: string };

const utf8Strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

/** Splits one line (no LF, no trailing CR) as CSV. A quoted field cannot span lines here. */
export function splitQuotedLine(line: Uint8Array): QuotedLineSplit {
  let text: string;
  try {
    text = utf8Strict.decode(line);
  } catch {
    return { kind: "error", reason: "invalid_utf8", detail: "record is not valid UTF-8" };
  }
  let rows: string[][];
  try {
    // Only LF ends a record (as on the byte path): a lone CR inside a line is data.
    rows = parse(text, { relax_column_count: true, record_delimiter: "\n" }) as string[][];
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "CSV_QUOTE_NOT_CLOSED") {
      return {
        kind: "error",
        reason: "unclosed_quote",
        detail: "a quoted field is not closed on this line (a quoted line break is not supported)",
      };
    }
    return { kind: "error", reason: "bad_quoting", detail: firstLine((e as Error).message) };
  }
  const fields = rows[0] ?? [];
  const encoded = fields.map((f) => encoder.encode(f));
  const total = encoded.reduce((n, f) => n + f.length, 0);
  // A Buffer, the kind of array unquoted lines arrive in (range-scanner.ts), so the typing code
  // sees one kind.
  const bytes = Buffer.alloc(total);
  const starts = new Int32Array(fields.length);
  const ends = new Int32Array(fields.length);
  let at = 0;
  encoded.forEach((f, i) => {
    bytes.set(f, at);
    starts[i] = at;
    at += f.length;
    ends[i] = at;
  });
  return { kind: "fields", bytes, starts, ends };
}

function firstLine(message: string): string {
  return message.split("\n")[0]!.replace(/ at line \d+/, "");
}
