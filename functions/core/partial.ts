/**
 * A range's partial aggregate: what one mapper hands the reducer. Versioned and gzipped JSON;
 * a reader refuses any other format or version.
 */
import { gunzipSync, gzipSync } from "node:zlib";
import type { Plan } from "../contracts";
import type { Aggregate } from "./aggregate";
import type { ByteSource } from "./byte-source";
import { ContractError, CorruptRecordError } from "./errors";
import { scanRange } from "./range-scanner";
import { RecordAggregator } from "./record-aggregator";

export const PARTIAL_FORMAT = "edgar-etl/partial";
export const PARTIAL_VERSION = 1;

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
  readonly aggregate: Aggregate;
}

/** Parses every record of range `index` of the plan into its partial. */
export async function processRange(source: ByteSource, plan: Plan, index: number): Promise<RangePartial> {
  const range = plan.ranges[index];
  if (range === undefined) {
    throw new RangeError(`range ${index} is not in plan ${plan.runId} (it has ${plan.ranges.length} ranges)`);
  }
  const aggregator = new RecordAggregator({
    header: plan.header,
    mode: plan.options.mode,
    sample: plan.options.sample,
    maxRecordBytes: plan.options.maxRecordBytes,
    quarantineLimit: plan.options.quarantineLimitPerRange,
  });
  let bounds: { firstRecordAt: number; endedAt: number };
  try {
    bounds = await scanRange(
      source,
      range,
      plan.header.dataStart,
      plan.options.maxRecordBytes,
      (b, s, e, o, full) => aggregator.line(b, s, e, o, full),
    );
  } catch (e) {
    if (e instanceof CorruptRecordError) {
      const line = await lineNumberAt(source, e.offset);
      throw new CorruptRecordError(
        `${source.name}: corrupt record at byte ${e.offset}, line ${line}: ${e.message.replace(/^corrupt record at byte \d+: /, "")}; fix the input, or run with mode permissive (quarantine) or dropmalformed`,
        e.offset,
        e.reason,
      );
    }
    throw e;
  }
  return {
    format: PARTIAL_FORMAT,
    version: PARTIAL_VERSION,
    runId: plan.runId,
    index,
    start: range.start,
    end: range.end,
    firstRecordAt: bounds.firstRecordAt,
    endedAt: bounds.endedAt,
    lines: aggregator.lineCount,
    aggregate: aggregator.result(),
  };
}

/** 1-based line number of the line starting at `offset` (counts LFs before it). */
export async function lineNumberAt(source: ByteSource, offset: number): Promise<number> {
  let lines = 1;
  for await (const chunk of source.stream(0, offset)) {
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
  }
  return lines;
}

export function encodePartial(partial: RangePartial): Uint8Array {
  return gzipSync(JSON.stringify(partial), { level: 6 });
}

export function decodePartial(bytes: Uint8Array, where: string): RangePartial {
  let doc: unknown;
  try {
    doc = JSON.parse(gunzipSync(bytes).toString("utf8"));
  } catch (e) {
    throw new ContractError(`partial ${where} is not a gzipped JSON partial (${(e as Error).message})`);
  }
  const d = doc as Partial<RangePartial>;
  if (d.format !== PARTIAL_FORMAT || d.version !== PARTIAL_VERSION) {
    throw new ContractError(
      `partial ${where} has format ${JSON.stringify(d.format)} version ${JSON.stringify(d.version)}; this reducer reads ${PARTIAL_FORMAT} version ${PARTIAL_VERSION}: rerun the whole execution with one deployed version`,
    );
  }
  return d as RangePartial;
}
