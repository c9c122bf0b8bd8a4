/**
 * The reducer's proof that the ranges' records tile the data exactly once: no record lost to a
 * gap, none counted twice in an overlap, every count adding up.
 */
import type { Plan } from "../contracts";
import type { QuarantinedRecord } from "./aggregate";
import { CoverageError } from "./errors";
import type { RangePartial } from "./partial";

export interface CoverageProof {
  readonly ranges: number;
  readonly dataStart: number;
  readonly size: number;
  /** Every range's [firstRecordAt, endedAt), in order: they join end to start. */
  readonly spans: readonly (readonly [number, number])[];
}

/** Checks the partials against the plan; throws CoverageError naming the first fault. */
export function proveCoverage(plan: Plan, partials: readonly RangePartial[]): CoverageProof {
  const { dataStart } = plan.header;
  const { size } = plan.source;
  const n = plan.ranges.length;
  if (partials.length !== n) {
    throw new CoverageError(`run ${plan.runId}: ${partials.length} partials for ${n} planned ranges`);
  }
  const byIndex = [...partials].sort((a, b) => a.index - b.index);
  const spans: (readonly [number, number])[] = [];
  let expectedStart = dataStart;
  byIndex.forEach((p, i) => {
    const range = plan.ranges[i]!;
    const where = `run ${plan.runId} range ${i} [${range.start}, ${range.end})`;
    if (p.index !== i)
      throw new CoverageError(`${where}: partial for range ${i} is missing (found ${p.index})`);
    if (p.runId !== plan.runId) throw new CoverageError(`${where}: partial belongs to run ${p.runId}`);
    if (p.start !== range.start || p.end !== range.end) {
      throw new CoverageError(`${where}: partial covers [${p.start}, ${p.end}), not the planned range`);
    }
    if (p.firstRecordAt !== expectedStart) {
      const what = p.firstRecordAt > expectedStart ? "gap" : "overlap";
      throw new CoverageError(
        `${where}: ${what}: its first record is at byte ${p.firstRecordAt} but the previous range ended at ${expectedStart}`,
      );
    }
    if (p.endedAt < p.firstRecordAt || p.endedAt < range.end) {
      throw new CoverageError(`${where}: ended at byte ${p.endedAt}, before its range's end`);
    }
    const r = p.aggregate.rows;
    if (r.read !== r.ok + r.corrupt + r.sampledOut || p.lines !== r.read + r.blank) {
      throw new CoverageError(
        `${where}: counts do not add up (read ${r.read} != ok ${r.ok} + corrupt ${r.corrupt} + sampledOut ${r.sampledOut}, or lines ${p.lines} != read + blank ${r.blank})`,
      );
    }
    spans.push([p.firstRecordAt, p.endedAt]);
    expectedStart = p.endedAt;
  });
  if (expectedStart !== size) {
    throw new CoverageError(
      `run ${plan.runId}: the last range ended at byte ${expectedStart}, not at the object's end ${size}`,
    );
  }
  return { ranges: n, dataStart, size, spans };
}

/**
 * The partials' quarantined records in file order, each a new record with its 1-based line number
 * in the object: the header is line 1, then every range's lines (records and blank lines) in
 * range order. The partials are left as they are.
 */
export function numberedQuarantine(partials: readonly RangePartial[]): QuarantinedRecord[] {
  const numbered: QuarantinedRecord[] = [];
  let linesBefore = 1;
  for (const p of [...partials].sort((a, b) => a.index - b.index)) {
    for (const q of p.aggregate.quarantine) numbered.push({ ...q, line: linesBefore + q.lineInRange + 1 });
    linesBefore += p.lines;
  }
  return numbered.sort((a, b) => a.offset - b.offset);
}
