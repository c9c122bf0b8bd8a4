/**
 * A range's partial aggregate: what one mapper hands the reducer, through the work bucket.
 * partial-codec.ts gives its wire form; a reader refuses any other format or version.
 */
import type { Aggregate } from "./aggregate";

export const PARTIAL_FORMAT = "edgar-etl/partial";
/** Version 3: the IP counts are sorted by key bytes (the reducer merges them k ways). */
export const PARTIAL_VERSION = 3;

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
  readonly aggregate: Aggregate;
}
