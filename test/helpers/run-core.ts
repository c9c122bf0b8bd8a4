/**
 * Runs the pure core of the pipeline in memory, exactly as the stages do but without storage:
 * header -> plan -> every range (in index order) -> reducePartials (coverage proof, line
 * numbers, merge, tables). Chunk size of the in-memory source is chosen by the test to stress chunk boundaries.
 */
import {
  DEFAULT_RUN_OPTIONS,
  type HeaderLayout,
  type Plan,
  type RunOptions,
} from "../../functions/contracts";
import type { Aggregate } from "../../functions/core/aggregate";
import { type ByteSource, memoryByteSource } from "../../functions/core/byte-source";
import type { CoverageProof } from "../../functions/core/coverage";
import { readHeader } from "../../functions/core/header";
import type { RangePartial } from "../../functions/core/partial";
import { buildPlan } from "../../functions/core/plan";
import { processRange } from "../../functions/core/process-range";
import { reducePartials } from "../../functions/core/reduce";
import type { Table, TableName } from "../../functions/core/tables";

export interface CoreRunInput {
  readonly bytes: Uint8Array;
  /** Target range size; defaults to the whole file (a single range). */
  readonly rangeBytes?: number;
  /** Size of the chunks the in-memory source yields. */
  readonly chunkBytes?: number;
  readonly options?: Partial<Omit<RunOptions, "rangeBytes">>;
  readonly name?: string;
  /** Where the ranges read `bytes` from instead of memory (e.g. the same bytes in a file). */
  readonly source?: ByteSource;
}

export interface CoreRun {
  readonly plan: Plan;
  readonly partials: readonly RangePartial[];
  readonly coverage: CoverageProof;
  readonly merged: Aggregate;
  readonly tables: Record<TableName, Table>;
}

export function makePlan(header: HeaderLayout, size: number, options: RunOptions, name = "memory.csv"): Plan {
  const source = { key: name, size, stem: name.replace(/\.csv$/, "") };
  return buildPlan("test-run", source, header, options, new Date("2024-01-01T00:00:00.000Z"));
}

export async function runCore(input: CoreRunInput): Promise<CoreRun> {
  const { bytes, chunkBytes = 1 << 20, name = "memory.csv" } = input;
  const source = input.source ?? memoryByteSource(bytes, name, chunkBytes);
  const options: RunOptions = {
    ...DEFAULT_RUN_OPTIONS,
    ...input.options,
    rangeBytes: input.rangeBytes ?? Math.max(1, bytes.length),
  };
  const header = await readHeader(source);
  const plan = makePlan(header, bytes.length, options, name);
  const partials: RangePartial[] = [];
  for (let i = 0; i < plan.ranges.length; i++) partials.push(await processRange(source, plan, i));
  const { coverage, merged, tables } = reducePartials(plan, partials);
  return { plan, partials, coverage, merged, tables };
}

/**
 * The aggregate without what legitimately depends on the split: `lineInRange` (position inside
 * a range). Everything else must be the same whatever the range and chunk sizes.
 */
export function splitIndependent(agg: Aggregate): Omit<Aggregate, "quarantine"> & {
  quarantine: { offset: number; line: number; reason: string; detail: string; raw: string }[];
} {
  return {
    ...agg,
    quarantine: agg.quarantine.map(({ offset, line, reason, detail, raw }) => ({
      offset,
      line,
      reason,
      detail,
      raw,
    })),
  };
}
