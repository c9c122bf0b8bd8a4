/**
 * Folds one line at a time into a range's aggregate: splits it (line-splitter.ts, or csv-parse
 * through quoted-line.ts for a line with a `"`), types its fields (field-typing.ts), and counts
 * an ok row or rejects a corrupt one with its reason.
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
import { formatDate, formatTime, isIntegerText, parseDate, parseInteger, parseTime } from "./field-typing";
import { LineSplitter, lowestBit, NCOLS } from "./line-splitter";
import { splitQuotedLine } from "./quoted-line";
import { makeSampler } from "./sample";
import { COLUMN_INDEX, EDGAR_COLUMNS, type EdgarColumnName } from "./schema";
import { ServerErrorRows } from "./server-error-rows";

export interface RecordAggregatorOptions {
  readonly header: HeaderLayout;
  readonly mode: CorruptMode;
  readonly sample: SampleSpec | null;
  readonly maxRecordBytes: number;
  readonly quarantineLimit: number;
  /** An empty IP counter to count into (one sized for the range, or kept from an earlier one). */
  readonly ipCounter?: ByteCounter;
}

const OPTIONAL_INTEGER_COLUMNS = Int32Array.from(
  EDGAR_COLUMNS.flatMap((c, i) => (!c.required && c.kind === "integer" ? [i] : [])),
);
// ignoreBOM keeps a U+FEFF that starts a value: a BOM is only meaningful before the header.
const utf8Strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const utf8Lossy = new TextDecoder("utf-8", { ignoreBOM: true });

export class RecordAggregator {
  private readonly agg: Aggregate = emptyAggregate();
  private readonly ips: ByteCounter;
  private readonly missing = new Float64Array(NCOLS);
  private readonly invalid = new Float64Array(NCOLS);
  private readonly corrupt = new Map<CorruptReason, number>();
  private readonly serverErrors = new ServerErrorRows();
  /** Field i of the current line is bytes [fieldStart[i], fieldEnd[i]) of its buffer. */
  private readonly splitter = new LineSplitter();
  /** File position of each schema column. */
  private readonly pos: Int32Array;
  /** Schema column of each file position. */
  private readonly columnAt = new Int32Array(NCOLS);
  /** File position of each OPTIONAL_INTEGER_COLUMNS entry. */
  private readonly optionalIntegerAt: Int32Array;
  private readonly sampler: ((offset: number) => boolean) | null;
  private minDate = Number.POSITIVE_INFINITY;
  private maxDate = Number.NEGATIVE_INFINITY;
  private minTime = Number.POSITIVE_INFINITY;
  private maxTime = Number.NEGATIVE_INFINITY;
  /** Records and blank lines seen so far in this range. */
  private lines = 0;
  // The last 10-byte date and 8-byte time, as the words of their bytes and what they parsed to
  // (-1 if invalid): a log is in time order, so most records repeat both, and the same bytes
  // parse the same. The words start as those of 0xff bytes, which parse to -1.
  private lastDateWords = [-1, -1, -1];
  private lastDate = -1;
  private lastTimeWords = [-1, -1];
  private lastTime = -1;

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
    this.ips = options.ipCounter ?? new ByteCounter();
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
    const split = this.splitter;
    split.split(bytes, start, end);
    if (!split.quoted && split.nonAscii) {
      try {
        utf8Strict.decode(bytes.subarray(start, end));
      } catch {
        this.reject("invalid_utf8", "record is not valid UTF-8", bytes, start, end, offset, lineInRange);
        return;
      }
    }
    if (split.quoted) {
      const quoted = splitQuotedLine(bytes.subarray(start, end));
      if (quoted.kind === "error") {
        this.reject(quoted.reason, quoted.detail, bytes, start, end, offset, lineInRange);
        return;
      }
      if (quoted.starts.length !== NCOLS) {
        this.rejectColumnCount(quoted.starts.length, bytes, start, end, offset, lineInRange);
        return;
      }
      const fs = split.fieldStart;
      const fe = split.fieldEnd;
      fs.set(quoted.starts);
      fe.set(quoted.ends);
      let quotedEmpty = 0;
      for (let f = 0; f < NCOLS; f++) if (fs[f] === fe[f]) quotedEmpty |= 1 << f;
      this.typed(quoted.bytes, quotedEmpty, offset, bytes, start, end, lineInRange);
      return;
    }
    if (split.fields !== NCOLS) {
      this.rejectColumnCount(split.fields, bytes, start, end, offset, lineInRange);
      return;
    }
    this.typed(bytes, split.emptyFields, offset, bytes, start, end, lineInRange);
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
    const fs = this.splitter.fieldStart;
    const fe = this.splitter.fieldEnd;
    const pos = this.pos;
    const ipAt = pos[COLUMN_INDEX.ip]!;
    const dateAt = pos[COLUMN_INDEX.date]!;
    const timeAt = pos[COLUMN_INDEX.time]!;
    const codeAt = pos[COLUMN_INDEX.code]!;
    // Required fields, in schema order; the first that fails names the record's reason.
    const view = this.splitter.viewOf(fields);
    const date = this.dateOf(view, fields, fs[dateAt]!, fe[dateAt]!);
    const time = this.timeOf(view, fields, fs[timeAt]!, fe[timeAt]!);
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
      const extAt = pos[COLUMN_INDEX.extention]!;
      this.serverErrors.add(offset, date, time, code, fields, fs[extAt]!, fe[extAt]!);
    }
    return true;
  }

  /** parseDate, or what the last 10-byte date parsed to when the field holds the same bytes. */
  private dateOf(view: DataView, b: Uint8Array, s: number, e: number): number {
    if (e - s !== 10) return parseDate(b, s, e);
    const last = this.lastDateWords;
    const w0 = view.getInt32(s, true);
    const w1 = view.getInt32(s + 4, true);
    const w2 = view.getUint16(s + 8, true);
    if (w0 === last[0] && w1 === last[1] && w2 === last[2]) return this.lastDate;
    last[0] = w0;
    last[1] = w1;
    last[2] = w2;
    this.lastDate = parseDate(b, s, e);
    return this.lastDate;
  }

  /** parseTime, or what the last 8-byte time parsed to when the field holds the same bytes. */
  private timeOf(view: DataView, b: Uint8Array, s: number, e: number): number {
    if (e - s !== 8) return parseTime(b, s, e);
    const last = this.lastTimeWords;
    const w0 = view.getInt32(s, true);
    const w1 = view.getInt32(s + 4, true);
    if (w0 === last[0] && w1 === last[1]) return this.lastTime;
    last[0] = w0;
    last[1] = w1;
    this.lastTime = parseTime(b, s, e);
    return this.lastTime;
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

  /** The aggregate of every line; call once, after the last line (it takes the IP counts out, sorted). */
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
      serverErrors: this.serverErrors.columns(),
      ipCounts: this.ips.takeSortedEntries(),
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

function quote(b: Uint8Array, s: number, e: number): string {
  return JSON.stringify(utf8Lossy.decode(b.subarray(s, Math.min(e, s + 64))));
}
