/**
 * The aggregate every range produces and the reducer merges: everything the output tables and
 * the validation report are built from. Plain data and typed arrays; partial-codec.ts puts it
 * on the wire.
 */
import type { RowCounts } from "../contracts";
import { ByteCounter } from "./byte-counter";
import { EDGAR_COLUMN_NAMES, type EdgarColumnName } from "./schema";

/** Why a record is corrupt. Stable codes: they appear in validation.json and the quarantine. */
export const CORRUPT_REASONS = [
  "column_count",
  "unclosed_quote",
  "bad_quoting",
  "invalid_utf8",
  "too_long",
  "missing_required",
  "bad_date",
  "bad_time",
  "bad_code",
] as const;
export type CorruptReason = (typeof CORRUPT_REASONS)[number];

export interface QuarantinedRecord {
  /** Byte offset of the record's first byte in the object. */
  readonly offset: number;
  /** 1-based line number in the object (the header is line 1); 0 until the reducer assigns it. */
  line: number;
  /** Lines (records and blank lines) before this one within its range; used to compute `line`. */
  readonly lineInRange: number;
  readonly reason: CorruptReason;
  readonly detail: string;
  /** The record as text (invalid UTF-8 replaced), clipped to RAW_CLIP_CHARS. */
  readonly raw: string;
}

export const RAW_CLIP_CHARS = 1024;
/**
 * Bytes a quarantined record is decoded from: enough for RAW_CLIP_CHARS characters of any
 * width, and always available (the range scanner keeps at least this much of a long line), so
 * `raw` never depends on how the bytes were chunked.
 */
export const RAW_CLIP_BYTES = RAW_CLIP_CHARS * 4;

/** Server-error rows, column-wise, ordered by `offset` (file order). */
export interface ServerErrorColumns {
  offset: number[];
  date: string[];
  /** HH:MM:SS (a H:MM:SS input is zero-padded). */
  time: string[];
  extention: (string | null)[];
  code: number[];
}

/**
 * Requests per IP as bytes: key i is keys[ends[i - 1], ends[i]) (from 0 for i = 0), its raw
 * UTF-8 bytes as the file had them. A range's counts are in no particular order; merged counts
 * are ordered by key bytes, so equal aggregates are equal values.
 */
export interface IpCounts {
  readonly keys: Uint8Array;
  readonly ends: Uint32Array;
  readonly counts: Float64Array;
}

export function emptyIpCounts(): IpCounts {
  return { keys: new Uint8Array(0), ends: new Uint32Array(0), counts: new Float64Array(0) };
}

const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });

/** Key i of `ipCounts` as text. */
function ipAt(ipCounts: IpCounts, i: number): string {
  return utf8.decode(ipCounts.keys.subarray(i === 0 ? 0 : ipCounts.ends[i - 1], ipCounts.ends[i]));
}

/** Every (ip, count) as text and numbers, in the counts' own order; for small outputs and tests. */
export function ipCountList(ipCounts: IpCounts): { ip: string[]; count: number[] } {
  return {
    ip: Array.from(ipCounts.ends, (_, i) => ipAt(ipCounts, i)),
    count: Array.from(ipCounts.counts),
  };
}

export interface Aggregate {
  rows: RowCounts;
  corruptByReason: Partial<Record<CorruptReason, number>>;
  /** Among ok rows: empty values per column. */
  missingByColumn: Record<EdgarColumnName, number>;
  /** Among ok rows: non-empty values of optional columns that do not parse (became null). */
  invalidByColumn: Record<EdgarColumnName, number>;
  minDate: string | null;
  maxDate: string | null;
  minTime: string | null;
  maxTime: string | null;
  /** Server errors per hour of day, index 0..23. */
  errorsByHour: number[];
  serverErrors: ServerErrorColumns;
  ipCounts: IpCounts;
  /** Ordered by offset. */
  quarantine: QuarantinedRecord[];
  /** Corrupt records counted but not copied to the quarantine (per-range limit reached). */
  quarantineOverflow: number;
}

export function zeroByColumn(): Record<EdgarColumnName, number> {
  return Object.fromEntries(EDGAR_COLUMN_NAMES.map((n) => [n, 0])) as Record<EdgarColumnName, number>;
}

export function emptyAggregate(): Aggregate {
  return {
    rows: { read: 0, ok: 0, corrupt: 0, sampledOut: 0, blank: 0 },
    corruptByReason: {},
    missingByColumn: zeroByColumn(),
    invalidByColumn: zeroByColumn(),
    minDate: null,
    maxDate: null,
    minTime: null,
    maxTime: null,
    errorsByHour: new Array(24).fill(0),
    serverErrors: { offset: [], date: [], time: [], extention: [], code: [] },
    ipCounts: emptyIpCounts(),
    quarantine: [],
    quarantineOverflow: 0,
  };
}

function minOf(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return a < b ? a : b;
}
function maxOf(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return a > b ? a : b;
}

/**
 * Merges any number of aggregates of one object. Associative and commutative: the result
 * depends only on the multiset of inputs (ip counts come out sorted by key bytes, rows by byte
 * offset, which is unique within an object).
 */
export function mergeAggregates(parts: readonly Aggregate[]): Aggregate {
  // Sized for the distinct keys to come: at most the parts' total, and (IPs recurring across
  // ranges) rarely more than four times the largest part.
  const sizes = parts.map((p) => p.ipCounts.ends.length);
  const merger = new AggregateMerger(
    Math.min(
      sizes.reduce((a, b) => a + b, 0),
      4 * Math.max(0, ...sizes),
    ),
  );
  for (const p of parts) merger.add(p);
  return merger.result();
}

type ErrorRow = { offset: number; date: string; time: string; extention: string | null; code: number };

/**
 * mergeAggregates one part at a time, so a caller can let each part go once it is added: the
 * IP counts are folded into one table at once, the rows kept until result() orders them.
 */
export class AggregateMerger {
  private readonly out = emptyAggregate();
  private readonly ipTotals: ByteCounter;
  private readonly errorRows: ErrorRow[] = [];

  /** `expectedKeys`: a guess at the distinct IPs of all parts, to size the table up front. */
  constructor(expectedKeys = 0) {
    this.ipTotals = new ByteCounter(expectedKeys);
  }

  add(p: Aggregate): void {
    const { out, errorRows } = this;
    for (const k of Object.keys(out.rows) as (keyof RowCounts)[]) out.rows[k] += p.rows[k];
    for (const [reason, n] of Object.entries(p.corruptByReason) as [CorruptReason, number][]) {
      out.corruptByReason[reason] = (out.corruptByReason[reason] ?? 0) + n;
    }
    for (const name of EDGAR_COLUMN_NAMES) {
      out.missingByColumn[name] += p.missingByColumn[name];
      out.invalidByColumn[name] += p.invalidByColumn[name];
    }
    out.minDate = minOf(out.minDate, p.minDate);
    out.maxDate = maxOf(out.maxDate, p.maxDate);
    out.minTime = minOf(out.minTime, p.minTime);
    out.maxTime = maxOf(out.maxTime, p.maxTime);
    for (let h = 0; h < 24; h++) out.errorsByHour[h]! += p.errorsByHour[h] ?? 0;
    const se = p.serverErrors;
    for (let i = 0; i < se.offset.length; i++) {
      errorRows.push({
        offset: se.offset[i]!,
        date: se.date[i]!,
        time: se.time[i]!,
        extention: se.extention[i] ?? null,
        code: se.code[i]!,
      });
    }
    this.ipTotals.addAll(p.ipCounts);
    out.quarantine.push(...p.quarantine);
    out.quarantineOverflow += p.quarantineOverflow;
  }

  /** The merged aggregate; call once, after the last add. */
  result(): Aggregate {
    const { out, errorRows } = this;
    errorRows.sort((a, b) => a.offset - b.offset);
    for (const r of errorRows) {
      out.serverErrors.offset.push(r.offset);
      out.serverErrors.date.push(r.date);
      out.serverErrors.time.push(r.time);
      out.serverErrors.extention.push(r.extention);
      out.serverErrors.code.push(r.code);
    }
    out.ipCounts = this.ipTotals.takeSortedEntries();
    out.quarantine.sort((a, b) => a.offset - b.offset);
    return out;
  }
}
