import { parse } from "csv-parse/sync";
import type { HeaderLayout } from "../contracts";
import type { ByteSource } from "./byte-source";
import { clip } from "./clip";
import { InputRejectedError } from "./errors";
import { EDGAR_COLUMN_NAMES } from "./schema";

/** The header line must end within this many bytes. */
export const MAX_HEADER_BYTES = 64 * 1024;

/** Reads the first line of the source (at most MAX_HEADER_BYTES) as raw bytes plus its end. */
export async function readHeaderBytes(source: ByteSource): Promise<{ line: Uint8Array; dataStart: number }> {
  if (source.size === 0) {
    throw new InputRejectedError(
      `${source.name} is empty (0 bytes): expected a CSV with the header ${EDGAR_COLUMN_NAMES.join(",")}; upload the full file`,
    );
  }
  const limit = Math.min(source.size, MAX_HEADER_BYTES);
  const parts: Uint8Array[] = [];
  let have = 0;
  let checkedMagic = false;
  for await (const chunk of source.stream(0, limit)) {
    parts.push(chunk);
    have += chunk.length;
    if (!checkedMagic && (have >= 4 || have === limit)) {
      rejectCompressed(source.name, Buffer.concat(parts, have).subarray(0, 4));
      checkedMagic = true;
    }
    const nl = chunk.indexOf(10);
    if (nl >= 0) {
      if (!checkedMagic) rejectCompressed(source.name, Buffer.concat(parts, have));
      const lineLength = have - chunk.length + nl;
      return { line: Buffer.concat(parts, have).subarray(0, lineLength), dataStart: lineLength + 1 };
    }
  }
  if (!checkedMagic) rejectCompressed(source.name, Buffer.concat(parts, have));
  if (limit === source.size) return { line: Buffer.concat(parts, have), dataStart: source.size };
  throw new InputRejectedError(
    `${source.name}: no line break in the first ${MAX_HEADER_BYTES} bytes, so there is no CSV header; is this a CSV file (compressed or binary input is not read)?`,
  );
}

/**
 * Parses a header line and maps it onto the EDGAR schema. Columns may come in any order, but
 * every schema column must be present exactly once and no other column may appear.
 */
export function parseHeader(line: Uint8Array, dataStart: number, sourceName: string): HeaderLayout {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(line);
  } catch {
    throw new InputRejectedError(
      `${sourceName}: the first line is not UTF-8 text, so it is not a CSV header; is this a CSV file (compressed or binary input is not read)?`,
    );
  }
  if (text.endsWith("\r")) text = text.slice(0, -1);
  let columns: string[];
  try {
    const rows = parse(text, { relax_column_count: true }) as string[][];
    columns = (rows[0] ?? []).map((c) => c.trim());
  } catch (e) {
    throw new InputRejectedError(
      `${sourceName}: the header line is not valid CSV (${(e as Error).message}); expected ${EDGAR_COLUMN_NAMES.join(",")}`,
    );
  }
  const missing = EDGAR_COLUMN_NAMES.filter((name) => !columns.includes(name));
  const unexpected = columns.filter((c) => !(EDGAR_COLUMN_NAMES as readonly string[]).includes(c));
  const duplicated = columns.filter((c, i) => columns.indexOf(c) !== i);
  if (missing.length > 0 || unexpected.length > 0 || duplicated.length > 0) {
    const parts = [
      missing.length > 0 ? `missing ${missing.join(", ")}` : "",
      unexpected.length > 0
        ? `unexpected ${unexpected.map((c) => JSON.stringify(clip(c, 40))).join(", ")}`
        : "",
      duplicated.length > 0 ? `duplicated ${duplicated.join(", ")}` : "",
    ].filter(Boolean);
    throw new InputRejectedError(
      `${sourceName}: header does not match the EDGAR log schema (${parts.join("; ")}); expected the columns ${EDGAR_COLUMN_NAMES.join(",")} in any order`,
    );
  }
  return {
    columns,
    positions: EDGAR_COLUMN_NAMES.map((name) => columns.indexOf(name)),
    dataStart,
  };
}

/**
 * gzip and zip bytes are not byte-splittable: a key ending in .gz or .zip goes through the
 * inflate stage first, so reaching here means the name hides what the object is.
 */
function rejectCompressed(name: string, head: Uint8Array): void {
  const gzip = head[0] === 0x1f && head[1] === 0x8b;
  const zip = head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
  if (gzip || zip) {
    throw new InputRejectedError(
      `${name} is ${gzip ? "gzip" : "zip"}-compressed but not named so; name it *.${gzip ? "gz" : "zip"} so that it is inflated first, or upload the uncompressed CSV`,
    );
  }
}

export async function readHeader(source: ByteSource): Promise<HeaderLayout> {
  const { line, dataStart } = await readHeaderBytes(source);
  return parseHeader(line, dataStart, source.name);
}
