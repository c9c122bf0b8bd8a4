/**
 * Types one record at a time against the EDGAR schema and folds it into a range's aggregate.
 * The hot path works on bytes: a quote-free line is split four bytes at a time and typed in
 * place; only records with a `"` go through csv-parse (see splitQuotedLine), and both hand the
 * same field boundaries to the same typing code.
 */
import type { CorruptMode, HeaderLayout, SampleSpec } from "../contracts";
import {
  type Aggregate,
  type CorruptReason,
  emptyAggregate,
  type QuarantinedRecord,
  RAW_CLIP_BYTES,
  RAW_CLIP_CHARS,
  zeroByColumn,
} from "./aggregate";
import { ByteCounter } from "./byte-counter";
import { ContractError, CorruptRecordError } from "./errors";
import { splitQuotedLine } from "./quoted-line";
import { makeSampler } from "./sample";
import { COLUMN_INDEX, EDGAR_COLUMNS, type EdgarColumnName } from "./schema";

export interface RecordAggregatorOptions {
  readonly header: HeaderLayout;
  readonly mode: CorruptMode;
  readonly sample: SampleSpec | null;
  readonly maxRecordBytes: number;
  readonly quarantineLimit: number;
  /** A guess at the distinct IPs to come, to size the IP table up front. */
  readonly expectedIps?: number;
}

const COMMA = 44;
const QUOTE = 34;
const NCOLS = EDGAR_COLUMNS.length;
const OPTIONAL_INTEGER_COLUMNS = Int32Array.from(
  EDGAR_COLUMNS.flatMap((c, i) => (!c.required && c.kind === "integer" ? [i] : [])),
);
// ignoreBOM keeps a U+FEFF that starts a value: a BOM is only meaningful before the header.
const utf8Strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const utf8Lossy = new TextDecoder("utf-8", { ignoreBOM: true });

/** Days in each month of a leap year; February of other years is checked separately. */
const DAYS_IN_MONTH = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export class RecordAggregator {
  private readonly agg: Aggregate = emptyAggregate();
  private readonly ips: ByteCounter;
  private readonly missing = new Float64Array(NCOLS);
  private readonly invalid = new Float64Array(NCOLS);
  private readonly corrupt = new Map<CorruptReason, number>();
  /** Field i of the file is bytes [fieldStart[i], fieldEnd[i]) of the current line buffer. */
  private readonly fieldStart = new Int32Array(NCOLS);
  private readonly fieldEnd = new Int32Array(NCOLS);
  /** File position of each schema column. */
  private readonly pos: Int32Array;
  /** Schema column of each file position. */
  private readonly columnAt = new Int32Array(NCOLS);
  /** File position of each OPTIONAL_INTEGER_COLUMNS entry. */
  private readonly optionalIntegerAt: Int32Array;
  private readonly sampler: ((offset: number) => boolean) | null;
  /** A view for reading a word at a time from `viewed`, the buffer the last line came in. */
  private view: DataView = new DataView(new ArrayBuffer(0));
  private viewed: Uint8Array | null = null;
  private minDate = Number.POSITIVE_INFINITY;
  private maxDate = Number.NEGATIVE_INFINITY;
  private minTime = Number.POSITIVE_INFINITY;
  private maxTime = Number.NEGATIVE_INFINITY;
  /** Records and blank lines seen so far in this range. */
  private lines = 0;

  constructor(private readonly options: RecordAggregatorOptions) {
    // parseHeader admits every schema column once and nothing else: a record has NCOLS fields.
    if (options.header.columns.length !== NCOLS) {
      throw new ContractError(
        `header layout has ${options.header.columns.length} columns; an EDGAR header has ${NCOLS}`,
      );
    }
    this.pos = Int32Array.from(options.header.positions);
    this.pos.forEach((p, c) => {
      this.columnAt[p] = c;
    });
    this.optionalIntegerAt = OPTIONAL_INTEGER_COLUMNS.map((c) => this.pos[c]!);
    this.sampler = makeSampler(options.sample);
    this.ips = new ByteCounter(options.expectedIps ?? 0);
  }

  /**
   * One line (without its LF or CRLF) at bytes[start, end) whose first byte is at `offset` in the
   * object. `fullLength` is the line's true length when the caller kept only a prefix of it.
   */
  line(bytes: Uint8Array, start: number, end: number, offset: number, fullLength = end - start): void {
    const lineInRange = this.lines++;
    if (fullLength === 0) {
      this.agg.rows.blank++;
      return;
    }
    this.agg.rows.read++;
    if (this.sampler !== null && !this.sampler(offset)) {
      this.agg.rows.sampledOut++;
      return;
    }
    if (fullLength > this.options.maxRecordBytes) {
      this.reject(
        "too_long",
        `record is ${fullLength} bytes, over the limit of ${this.options.maxRecordBytes} (maxRecordBytes)`,
        bytes,
        start,
        end,
        offset,
        lineInRange,
      );
      return;
    }
    // Split on commas; note quotes, non-ASCII bytes and empty fields on the way. Four bytes at a
    // time: most words of a log line hold none of comma, quote or a byte >= 128, and are skipped.
    const view = this.viewOf(bytes);
    const fs = this.fieldStart;
    const fe = this.fieldEnd;
    const lastWordAt = end - 4;
    let field = 0;
    let emptyFields = 0; // bit i: field i is empty
    let nonAscii = false;
    let quoted = false;
    let fieldBegin = start;
    let i = start;
    while (i < end) {
      let at = i;
      let b: number;
      if (i <= lastWordAt) {
        const word = view.getInt32(i, true);
        const marks = specialByteMarks(word);
        if (marks === 0) {
          i += 4;
          continue;
        }
        const bit = lowestBit(marks); // the high bit of the first marked byte: 7, 15, 23 or 31
        at += bit >> 3;
        b = (word >>> (bit - 7)) & 0xff;
      } else {
        b = bytes[at]!;
      }
      i = at + 1;
      if (b === COMMA) {
        if (field < NCOLS) {
          fs[field] = fieldBegin;
          fe[field] = at;
          if (at === fieldBegin) emptyFields |= 1 << field;
        }
        field++;
        fieldBegin = i;
      } else if (b === QUOTE) {
        quoted = true;
        break;
      } else if (b >= 128) {
        nonAscii = true;
      }
    }
    if (!quoted && nonAscii) {
      try {
        utf8Strict.decode(bytes.subarray(start, end));
      } catch {
        this.reject("invalid_utf8", "record is not valid UTF-8", bytes, start, end, offset, lineInRange);
        return;
      }
    }
    if (quoted) {
      const split = splitQuotedLine(bytes.subarray(start, end));
      if (split.kind === "error") {
        this.reject(split.reason, split.detail, bytes, start, end, offset, lineInRange);
        return;
      }
      if (split.starts.length !== NCOLS) {
        this.rejectColumnCount(split.starts.length, bytes, start, end, offset, lineInRange);
        return;
      }
      fs.set(split.starts);
      fe.set(split.ends);
      let splitEmpty = 0;
      for (let f = 0; f < NCOLS; f++) if (fs[f] === fe[f]) splitEmpty |= 1 << f;
      this.typed(split.bytes, splitEmpty, offset, bytes, start, end, lineInRange);
      return;
    }
    if (field < NCOLS) {
      fs[field] = fieldBegin;
      fe[field] = end;
      if (end === fieldBegin) emptyFields |= 1 << field;
    }
    if (field + 1 !== NCOLS) {
      this.rejectColumnCount(field + 1, bytes, start, end, offset, lineInRange);
      return;
    }
    this.typed(bytes, emptyFields, offset, bytes, start, end, lineInRange);
  }

  /**
   * Types the fields (in `fields`, bounds in fieldStart/fieldEnd, bit i of emptyFields set when
   * field i is empty) and folds an ok row in. Returns whether the row was ok.
   */
  private typed(
    fields: Uint8Array,
    emptyFields: number,
    offset: number,
    raw: Uint8Array,
    rawStart: number,
    rawEnd: number,
    lineInRange: number,
  ): boolean {
    const fs = this.fieldStart;
    const fe = this.fieldEnd;
    const pos = this.pos;
    const ipAt = pos[COLUMN_INDEX.ip]!;
    const dateAt = pos[COLUMN_INDEX.date]!;
    const timeAt = pos[COLUMN_INDEX.time]!;
    const codeAt = pos[COLUMN_INDEX.code]!;
    // Required fields, in schema order; the first that fails names the record's reason.
    const date = parseDate(fields, fs[dateAt]!, fe[dateAt]!);
    const time = parseTime(fields, fs[timeAt]!, fe[timeAt]!);
    const code = parseInteger(fields, fs[codeAt]!, fe[codeAt]!);
    const failed =
      (emptyFields >> ipAt) & 1
        ? ipAt
        : date < 0
          ? dateAt
          : time < 0
            ? timeAt
            : !(code >= 0 && code <= 999)
              ? codeAt
              : -1;
    if (failed >= 0) {
      const [reason, detail] = requiredFieldFailure(
        this.options.header.columns[failed]!,
        fields,
        fs[failed]!,
        fe[failed]!,
      );
      this.reject(reason, detail, raw, rawStart, rawEnd, offset, lineInRange);
      return false;
    }

    // An ok row from here on.
    const agg = this.agg;
    agg.rows.ok++;
    for (let empty = emptyFields; empty !== 0; empty &= empty - 1) {
      this.missing[this.columnAt[lowestBit(empty)]!]!++;
    }
    const optionalIntegerAt = this.optionalIntegerAt;
    const view = this.viewOf(fields);
    for (let k = 0; k < optionalIntegerAt.length; k++) {
      const p = optionalIntegerAt[k]!;
      if (!((emptyFields >> p) & 1) && !isIntegerText(view, fields, fs[p]!, fe[p]!)) {
        this.invalid[OPTIONAL_INTEGER_COLUMNS[k]!]!++;
      }
    }
    this.ips.add(fields, fs[ipAt]!, fe[ipAt]!);
    if (date < this.minDate) this.minDate = date;
    if (date > this.maxDate) this.maxDate = date;
    if (time < this.minTime) this.minTime = time;
    if (time > this.maxTime) this.maxTime = time;
    if (code >= 500 && code < 600) {
      const hour = Math.floor(time / 3600);
      agg.errorsByHour[hour]!++;
      const se = agg.serverErrors;
      const extAt = pos[COLUMN_INDEX.extention]!;
      se.offset.push(offset);
      se.date.push(formatDate(date));
      se.time.push(formatTime(time));
      se.extention.push(
        fs[extAt] === fe[extAt] ? null : utf8Lossy.decode(fields.subarray(fs[extAt], fe[extAt])),
      );
      se.code.push(code);
    }
    return true;
  }

  /** A DataView on `bytes`, made again only when a line comes in another buffer than the last. */
  private viewOf(bytes: Uint8Array): DataView {
    if (bytes !== this.viewed) {
      this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      this.viewed = bytes;
    }
    return this.view;
  }

  private rejectColumnCount(
    found: number,
    bytes: Uint8Array,
    start: number,
    end: number,
    offset: number,
    lineInRange: number,
  ): void {
    this.reject(
      "column_count",
      `expected ${NCOLS} columns, found ${found}`,
      bytes,
      start,
      end,
      offset,
      lineInRange,
    );
  }

  private reject(
    reason: CorruptReason,
    detail: string,
    bytes: Uint8Array,
    start: number,
    end: number,
    offset: number,
    lineInRange: number,
  ): void {
    if (this.options.mode === "failfast") {
      throw new CorruptRecordError(`corrupt record at byte ${offset}: ${reason}: ${detail}`, offset, reason);
    }
    this.agg.rows.corrupt++;
    this.corrupt.set(reason, (this.corrupt.get(reason) ?? 0) + 1);
    if (this.options.mode !== "permissive") return;
    if (this.agg.quarantine.length >= this.options.quarantineLimit) {
      this.agg.quarantineOverflow++;
      return;
    }
    const clipped = bytes.subarray(start, Math.min(end, start + RAW_CLIP_BYTES));
    const record: QuarantinedRecord = {
      offset,
      line: 0,
      lineInRange,
      reason,
      detail,
      raw: utf8Lossy.decode(clipped).slice(0, RAW_CLIP_CHARS),
    };
    this.agg.quarantine.push(record);
  }

  /** The aggregate of every line seen so far. */
  result(): Aggregate {
    const agg = this.agg;
    const missing = zeroByColumn();
    const invalid = zeroByColumn();
    EDGAR_COLUMNS.forEach((c, i) => {
      missing[c.name as EdgarColumnName] = this.missing[i]!;
      invalid[c.name as EdgarColumnName] = this.invalid[i]!;
    });
    return {
      ...agg,
      corruptByReason: Object.fromEntries(this.corrupt),
      missingByColumn: missing,
      invalidByColumn: invalid,
      minDate: agg.rows.ok > 0 ? formatDate(this.minDate) : null,
      maxDate: agg.rows.ok > 0 ? formatDate(this.maxDate) : null,
      minTime: agg.rows.ok > 0 ? formatTime(this.minTime) : null,
      maxTime: agg.rows.ok > 0 ? formatTime(this.maxTime) : null,
      ipCounts: this.ips.entries(),
    };
  }

  /** Lines (records + blank lines) seen so far. */
  get lineCount(): number {
    return this.lines;
  }
}

const REQUIRED_FORMAT: Record<string, [CorruptReason, string]> = {
  date: ["bad_date", "is not a valid YYYY-MM-DD date"],
  time: ["bad_time", "is not a valid HH:MM:SS time"],
  code: ["bad_code", "is not an HTTP status (0-999)"],
};

/** Why a required field failed: empty, or (for date, time, code) not in its format. */
function requiredFieldFailure(column: string, b: Uint8Array, s: number, e: number): [CorruptReason, string] {
  const format = REQUIRED_FORMAT[column];
  if (s === e || format === undefined) return ["missing_required", `${column} is empty`];
  return [format[0], `${column} ${quote(b, s, e)} ${format[1]}`];
}

function digit(b: number): number {
  const d = b - 48;
  return d >= 0 && d <= 9 ? d : -1000;
}

/** YYYY-MM-DD -> yyyymmdd as an integer, or -1. Years before 1970 are refused (Parquet DATE here). */
export function parseDate(b: Uint8Array, s: number, e: number): number {
  if (e - s !== 10 || b[s + 4] !== 45 || b[s + 7] !== 45) return -1;
  const y = digit(b[s]!) * 1000 + digit(b[s + 1]!) * 100 + digit(b[s + 2]!) * 10 + digit(b[s + 3]!);
  const m = digit(b[s + 5]!) * 10 + digit(b[s + 6]!);
  const d = digit(b[s + 8]!) * 10 + digit(b[s + 9]!);
  if (y < 1970 || m < 1 || m > 12 || d < 1 || d > DAYS_IN_MONTH[m]!) return -1;
  if (m === 2 && d === 29 && !(y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0))) return -1;
  return y * 10000 + m * 100 + d;
}

/** HH:MM:SS or H:MM:SS -> seconds since midnight, or -1. */
export function parseTime(b: Uint8Array, s: number, e: number): number {
  const len = e - s;
  let h: number;
  if (len === 8) h = digit(b[s]!) * 10 + digit(b[s + 1]!);
  else if (len === 7) h = digit(b[s]!);
  else return -1;
  const p = e - 6;
  if (b[p] !== 58 || b[p + 3] !== 58) return -1;
  const m = digit(b[p + 1]!) * 10 + digit(b[p + 2]!);
  const sec = digit(b[p + 4]!) * 10 + digit(b[p + 5]!);
  if (h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 59) return -1;
  return h * 3600 + m * 60 + sec;
}

/**
 * An integer written `123`, `-7`, `123.0` or `123.00` -> its value; anything else (including
 * exponents like `1.21e+24`, fractions, or more than 15 digits) -> NaN.
 */
export function parseInteger(b: Uint8Array, s: number, e: number): number {
  let i = s;
  let sign = 1;
  if (i < e && b[i] === 45) {
    sign = -1;
    i++;
  }
  const digitsStart = i;
  let v = 0;
  while (i < e) {
    const d = b[i]! - 48;
    if (d < 0 || d > 9) break;
    v = v * 10 + d;
    i++;
  }
  const digits = i - digitsStart;
  if (digits === 0 || digits > 15) return Number.NaN;
  if (i < e) {
    if (b[i] !== 46) return Number.NaN;
    for (i++; i < e; i++) if (b[i] !== 48) return Number.NaN;
  }
  return sign * v;
}

/**
 * Whether a non-empty field is an integer by parseInteger's rules (not NaN), without its value:
 * drop a fraction of zeros (".0", ".", ".00"); what is left must be an optional '-' and 1 to 15
 * digits. `view` covers `b`.
 */
function isIntegerText(view: DataView, b: Uint8Array, s: number, e: number): boolean {
  // Most values are a digit then ".0".
  if (e - s === 3 && b[s + 1] === 46 && b[s + 2] === 48) return b[s]! - 48 >= 0 && b[s]! - 48 <= 9;
  let zerosFrom = e;
  while (zerosFrom > s && b[zerosFrom - 1] === 48) zerosFrom--;
  const digitsEnd = zerosFrom > s && b[zerosFrom - 1] === 46 ? zerosFrom - 1 : e;
  let i = b[s] === 45 ? s + 1 : s;
  if (digitsEnd - i < 1 || digitsEnd - i > 15) return false;
  if (digitsEnd - i >= 4) {
    // A word at a time, the last word overlapping the one before if need be.
    let marks = nonDigitMarks(view.getInt32(digitsEnd - 4, true));
    for (; i < digitsEnd - 4; i += 4) marks |= nonDigitMarks(view.getInt32(i, true));
    return marks === 0;
  }
  for (; i < digitsEnd; i++) if (b[i]! - 48 < 0 || b[i]! - 48 > 9) return false;
  return true;
}

/** Marks (the byte's high bit) the bytes of a word that are not ASCII digits; no carry crosses a byte. */
function nonDigitMarks(word: number): number {
  const above9 = (word & 0x7f7f7f7f) + 0x46464646; // high bit set where the low 7 bits are > '9'
  const atLeast0 = (word | 0x80808080) - 0x30303030; // high bit clear where they are < '0'
  return (above9 | ~atLeast0 | word) & 0x80808080;
}

/**
 * Marks (the byte's high bit) the bytes of a little-endian word that are a comma, a quote or
 * >= 128. The lowest mark is exact; a byte above a comma or quote may be marked falsely (the
 * zero-byte test's borrow), which is harmless since the scan goes on from the lowest mark.
 */
function specialByteMarks(word: number): number {
  const commas = word ^ 0x2c2c2c2c; // zero bytes where `word` has a comma
  const quotes = word ^ 0x22222222;
  return (((commas - 0x01010101) & ~commas) | ((quotes - 0x01010101) & ~quotes) | word) & 0x80808080;
}

/** Index of the lowest set bit of a non-zero int32. */
function lowestBit(x: number): number {
  return 31 - Math.clz32(x & -x);
}

export function formatDate(yyyymmdd: number): string {
  const y = Math.floor(yyyymmdd / 10000);
  const m = Math.floor(yyyymmdd / 100) % 100;
  const d = yyyymmdd % 100;
  return `${y}-${m < 10 ? "0" : ""}${m}-${d < 10 ? "0" : ""}${d}`;
}

export function formatTime(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor(seconds / 60) % 60;
  const s = seconds % 60;
  return `${h < 10 ? "0" : ""}${h}:${m < 10 ? "0" : ""}${m}:${s < 10 ? "0" : ""}${s}`;
}

function quote(b: Uint8Array, s: number, e: number): string {
  return JSON.stringify(utf8Lossy.decode(b.subarray(s, Math.min(e, s + 64))));
}
