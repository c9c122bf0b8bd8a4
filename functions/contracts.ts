/**
 * The documents the pipeline's stages hand each other through S3 (or a local directory).
 * Each carries `format` and `version`; a reader refuses a version it does not know
 * (see core/partial-codec.ts and stages/*). State payloads carry only pointers to them.
 */
import type { RunOverrides } from "./core/run-options";
import type { EdgarColumnName } from "./core/schema";

/** How corrupt records are handled (Spark's names). */
export type CorruptMode = "permissive" | "dropmalformed" | "failfast";

export interface SampleSpec {
  /** Share of records kept, 0 < fraction <= 1. */
  readonly fraction: number;
  /** Any integer; the same seed keeps the same records whatever the range size. */
  readonly seed: number;
}

/**
 * Data-quality checks evaluated by the reducer; each yields pass/fail with its observed value in
 * validation.json. A run's or a deployment's checks are merged over the defaults key by key (and
 * column by column for maxMissingShare); `null` switches a default check off.
 */
export interface ChecksConfig {
  /** At least one ok row: a header-only or all-corrupt file fails. */
  readonly requireRows?: boolean;
  /** Expected number of ok rows, inclusive bounds. */
  readonly rowCount?: { readonly min?: number; readonly max?: number };
  /**
   * Largest allowed share (0..1) of parsed records (ok + corrupt) with an empty required field
   * (such a record is corrupt, `missing_required`, so the ok rows never miss one).
   */
  readonly maxRequiredMissingShare?: number;
  /** Largest allowed share (0..1) of ok rows with an empty value, per optional column. */
  readonly maxMissingShare?: Partial<Record<EdgarColumnName, number>>;
  /** Largest allowed share (0..1) of parsed records (ok + corrupt) that are corrupt. */
  readonly maxCorruptShare?: number;
}

/** The notebook's checks: some rows, no required value missing, at most 1 % corrupt. */
export const DEFAULT_CHECKS: ChecksConfig = {
  requireRows: true,
  maxRequiredMissingShare: 0,
  maxCorruptShare: 0.01,
};

export interface RunOptions {
  /** Target bytes per range (the last one may be shorter). */
  readonly rangeBytes: number;
  /** A record (line) longer than this is corrupt (`too_long`) instead of exhausting memory. */
  readonly maxRecordBytes: number;
  readonly mode: CorruptMode;
  readonly sample: SampleSpec | null;
  readonly checks: ChecksConfig;
  /** How many IPs `top_ips` keeps. */
  readonly topN: number;
  /** Corrupt records quarantined in full per range; beyond it they are counted, not copied. */
  readonly quarantineLimitPerRange: number;
}

export const DEFAULT_RUN_OPTIONS: RunOptions = {
  rangeBytes: 64 * 1024 * 1024,
  maxRecordBytes: 1024 * 1024,
  mode: "permissive",
  sample: null,
  checks: DEFAULT_CHECKS,
  topN: 20,
  quarantineLimitPerRange: 1000,
};

/** Where the input object is. `bucket` is absent for local files. */
export interface SourceRef {
  readonly bucket?: string;
  readonly key: string;
  /** The version read at planning time; mappers send it as If-Match. */
  readonly etag?: string;
  readonly size: number;
  /** The object's file name without extensions: the `source=` partition value. */
  readonly stem: string;
  /**
   * Present when the CSV was inflated from an archive: bucket and key then name the staged CSV
   * in the work bucket, and the stem is the member's.
   */
  readonly archive?: ArchiveRef;
}

export type ArchiveFormat = "zip" | "gzip";

/** The uploaded archive a run's CSV came from. */
export interface ArchiveRef {
  readonly format: ArchiveFormat;
  readonly bucket?: string;
  readonly key: string;
  readonly etag?: string;
  /** Compressed bytes. */
  readonly size: number;
  /** The CSV inside: the zip member's path, or the gzip object's name without `.gz`. */
  readonly member: string;
}

/** What the inflate stage returns into the state machine: the staged CSV, planned next. */
export interface InflateResult {
  /** The work bucket (absent for a local directory). */
  readonly bucket?: string;
  readonly key: string;
  readonly archive: ArchiveRef;
  /** Inflated bytes: the staged CSV's size. */
  readonly bytes: number;
}

/** [start, end) in bytes of the input object; records starting inside belong to this range. */
export interface ByteRange {
  readonly index: number;
  readonly start: number;
  readonly end: number;
}

export interface HeaderLayout {
  /** Column names as the file's header lists them. */
  readonly columns: readonly string[];
  /** For each schema column (EDGAR_COLUMNS order), its position in the file. */
  readonly positions: readonly number[];
  /** First byte after the header line. */
  readonly dataStart: number;
}

export const PLAN_FORMAT = "edgar-etl/plan";
export interface Plan {
  readonly format: typeof PLAN_FORMAT;
  readonly version: 1;
  readonly runId: string;
  readonly source: SourceRef;
  readonly header: HeaderLayout;
  readonly options: RunOptions;
  readonly ranges: readonly ByteRange[];
  readonly plannedAt: string;
}

/** One Distributed Map item: everything a mapper needs is in the plan it points to. */
export interface RangeTask {
  readonly version: 1;
  readonly runId: string;
  readonly planKey: string;
  readonly index: number;
}

/** What the plan stage returns into the state machine (small: pointers and counts). */
export interface PlanResult {
  readonly runId: string;
  readonly planKey: string;
  /** A JSON array of RangeTask, read by the Distributed Map's ItemReader. */
  readonly tasksKey: string;
  readonly rangeCount: number;
  readonly sourceBytes: number;
}

/** What a mapper returns (discarded by the Map state; the reducer reads partials by key). */
export interface MapResult {
  readonly index: number;
  readonly partialKey: string;
  readonly rowsRead: number;
}

export type CheckStatus = "pass" | "fail";

/** What the reducer returns into the state machine. */
export interface ReduceResult {
  readonly runId: string;
  readonly status: CheckStatus;
  readonly manifestKey: string;
  readonly rows: RowCounts;
  readonly failedChecks: readonly string[];
}

export interface RowCounts {
  /** Non-blank lines after the header: read = ok + corrupt + sampledOut. */
  read: number;
  ok: number;
  corrupt: number;
  sampledOut: number;
  /** Empty lines (or a lone CR); not records, not counted in `read`. */
  blank: number;
}

export const MANIFEST_FORMAT = "edgar-etl/manifest";
export interface Manifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly version: 1;
  readonly runId: string;
  readonly source: SourceRef;
  readonly options: RunOptions;
  readonly rows: RowCounts;
  readonly status: CheckStatus;
  readonly rangeCount: number;
  /** Output keys relative to the output root, per table. */
  readonly tables: Readonly<
    Record<string, { readonly key: string; readonly rows: number; readonly bytes: number }>
  >;
  readonly validationKey: string;
  readonly reportKey: string | null;
  readonly quarantineKey: string | null;
  readonly committedAt: string;
}

export const COMMIT_FORMAT = "edgar-etl/commit";
/**
 * `_runs/source=<value>/_SUCCESS`: which run's outputs are the source's current ones. Written
 * last, conditionally on the one it replaces; it always names a complete run.
 */
export interface CommitRecord {
  readonly format: typeof COMMIT_FORMAT;
  readonly version: 1;
  readonly runId: string;
  /** The run's plan time: of two runs of a source, the one planned later wins. */
  readonly plannedAt: string;
  readonly committedAt: string;
  /** The source object (for an archive's CSV, the archive): one per partition. */
  readonly source: { readonly bucket?: string; readonly key: string; readonly etag?: string };
  /** The run's own manifest, under `_runs/source=<value>/run=<runId>/`. */
  readonly manifestKey: string;
  /** The run this one replaced; its files are kept until the next commit, for readers still on it. */
  readonly replaces: string | null;
}

/** One version of one object: the identity a run is named after (its execution name). */
export interface ObjectVersion {
  readonly bucket: string;
  readonly key: string;
  /** As S3 reports it (ListObjectsV2 quotes it, EventBridge does not); normalized before hashing. */
  readonly etag: string;
}

/*
 * The events the functions receive, as `core/events.ts` parses them. The pipeline's four come
 * from the state machine, the trigger's from the EventBridge rule on the input bucket.
 */

/** S3's EventBridge "Object Created" event, the fields the trigger uses. */
export interface ObjectCreatedEvent extends ObjectVersion {
  /** Orders events for one key; equal in duplicates of the same event. */
  readonly sequencer?: string;
}

/** The state machine's input for one object: a run of it (optional run overrides may be added). */
export interface RunInput {
  readonly bucket: string;
  readonly key: string;
  readonly [override: string]: unknown;
}

/** Step 0 for an archive: inflate `bucket/key` into the work bucket. */
export interface InflateEvent {
  /** The execution's name: the staged CSV is runs/<runId>/staged.csv. */
  readonly runId: string;
  readonly bucket: string;
  readonly key: string;
}

/** Step 1: plan `bucket/key`; the run overrides are checked by `resolveRunOptions`. */
export interface PlanEvent extends RunOverrides {
  /** The execution's name: every key the run writes is under runs/<runId>/. */
  readonly runId: string;
  readonly bucket: string;
  readonly key: string;
  /** Set by the inflate stage: bucket and key then name the staged CSV in the work bucket. */
  readonly archive?: ArchiveRef;
}

/** Step 3: merge the partials of the plan at `planKey`. */
export interface ReduceEvent {
  readonly planKey: string;
}

/** After a failed range Map: find the first failed range's error in the Map Run's results. */
export interface RangeFailureRequest {
  readonly runId: string;
  /** The range Map's ResultWriter prefix, e.g. `runs/<runId>/map-run`. */
  readonly resultsPrefix: string;
  /** The Map's own error and cause: the answer when no failed range is found. */
  readonly error: string;
  readonly cause: string;
}

export interface RangeFailureEvent {
  readonly rangeFailure: RangeFailureRequest;
}
