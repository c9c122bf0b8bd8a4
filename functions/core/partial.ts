/**
 * A range's partial aggregate: what one mapper hands the reducer, through the work bucket.
 * partial-codec.ts gives its wire form; a reader refuses any other format or version.
 */
import type { Aggregate } from "./aggregate";

export const PARTIAL_FORMAT = "edgar-etl/partial";
/**
 * Version 3: the IP counts are sorted by key bytes (the reducer merges them k ways). Version 4:
 * a partial may name IP runs its mapper wrote away as its IP table spilled (ipRuns).
 */
export const PARTIAL_VERSION = 4;

/**
 * Sorted IP counts a mapper wrote to an object of their own when its IP table filled
 * (ByteCounter.takeSpilledRuns), so that its memory holds one run, not the range's counts. Its
 * key is the mapper attempt's own: a range mapped twice at once never mixes the two's runs.
 */
export interface SpilledIpRun {
  /** The run's key in the work store. */
  readonly key: string;
  /** Its entries (distinct keys). */
  readonly entries: number;
  /** SHA-256 of its object's bytes, base64: its reader checks it read the run written. */
  readonly sha256: string;
}

export interface RangePartial {
  readonly format: typeof PARTIAL_FORMAT;
  readonly version: typeof PARTIAL_VERSION;
  readonly runId: string;
  readonly index: number;
  readonly start: number;
  readonly end: number;
  readonly firstRecordAt: number;
  readonly endedAt: number;
  /** Lines this range owns: records plus blank lines. */
  readonly lines: number;
  /** Wall seconds the mapper took, set by the map stage (run facts for the report). */
  readonly seconds?: number;
  /**
   * IP counts spilled before `aggregate.ipCounts` was taken, in spill order; the range's IP
   * counts are these and aggregate.ipCounts added up (a key may be in several). Absent: none.
   */
  readonly ipRuns?: readonly SpilledIpRun[];
  readonly aggregate: Aggregate;
}
