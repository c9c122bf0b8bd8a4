/**
 * The reducer's pure part: partials in, proven coverage, the merged aggregate, the four tables
 * and the validation report out. The reduce stage, the bench and the tests all call this.
 */
import type { Plan } from "../contracts";
import { type Aggregate, AggregateMerger, emptyIpCounts, type IpCounts } from "./aggregate";
import { type CoverageProof, numberedQuarantine, proveCoverage } from "./coverage";
import { ContractError } from "./errors";
import type { RangePartial, SpilledIpRun } from "./partial";
import { buildTables, type Table, type TableName, tableRows } from "./tables";
import { buildValidation, type ValidationReport } from "./validation";

export interface ReducedRun {
  readonly coverage: CoverageProof;
  readonly merged: Aggregate;
  readonly tables: Record<TableName, Table>;
  readonly validation: ValidationReport;
}

export function reducePartials(plan: Plan, partials: readonly RangePartial[]): ReducedRun {
  const reducer = new PartialReducer(plan);
  for (const p of partials) reducer.add(p);
  return reducer.result();
}

/**
 * reducePartials one partial at a time, in any order: each partial's counts and rows are folded
 * in as it is added; its sorted IP counts are kept for the k-way merge in result().
 */
export class PartialReducer {
  private readonly merger: AggregateMerger;
  /** The partials as added, without their IP counts: what the coverage proof reads. */
  private readonly headers: RangePartial[] = [];
  /** The IP runs the partials name, by key, with whether each has been added (addIpRun). */
  private readonly ipRuns = new Map<string, { index: number; added: boolean }>();
  private provenIpCounts: IpCounts | undefined;

  constructor(private readonly plan: Plan) {
    this.merger = new AggregateMerger();
  }

  /**
   * Folds a partial in. With `ipCounts: "later"` its IP counts are left out, and are to come
   * through addIpCounts before the merge: a caller that folds partials in as they are made, then
   * lets go of their bytes, holds no partial's IP counts until all are there to be merged.
   */
  add(partial: RangePartial, { ipCounts = "now" }: { ipCounts?: "now" | "later" } = {}): void {
    // The quarantine is numbered from the headers in result(), so the merger does not gather it.
    this.merger.add(
      {
        ...partial.aggregate,
        ...(ipCounts === "later" ? { ipCounts: emptyIpCounts() } : {}),
        quarantine: [],
      },
      labelOf(partial.index, partial.runId),
    );
    this.headers.push({ ...partial, aggregate: { ...partial.aggregate, ipCounts: emptyIpCounts() } });
    for (const run of partial.ipRuns ?? []) this.ipRuns.set(run.key, { index: partial.index, added: false });
  }

  /**
   * The counts of an IP run partial `index` names (its `ipRuns`), read from its object (and
   * checked against `run` by decodeIpRun). Every run a partial names must be added before the
   * merge.
   */
  addIpRun(index: number, run: SpilledIpRun, ipCounts: IpCounts): void {
    const named = this.ipRuns.get(run.key);
    if (named === undefined || named.index !== index || named.added) {
      throw new ContractError(
        `IP run ${run.key} is not named by partial ${index} of run ${this.plan.runId}, or was added twice`,
      );
    }
    named.added = true;
    this.merger.addIpCounts(ipCounts, `IP run ${run.key} of ${labelOf(index, this.plan.runId)}`);
  }

  /** The IP counts of partial `index`, added with `ipCounts: "later"`. */
  addIpCounts(index: number, ipCounts: IpCounts): void {
    this.merger.addIpCounts(ipCounts, labelOf(index, this.plan.runId));
  }

  /**
   * Merges the partials' IP counts ahead of result(): after this their IP counts (views of the
   * partials' bytes) are read no more. Call once, after the last add.
   */
  mergeIpCounts(): void {
    this.mergedIpCounts();
  }

  /**
   * The merged IP counts, once proven whole: every IP run named was added, and the counts add
   * up to the ok rows (each ok row counts its IP once), so no partial's or run's counts are
   * missing or counted twice.
   */
  private mergedIpCounts(): IpCounts {
    if (this.provenIpCounts !== undefined) return this.provenIpCounts;
    for (const [key, { index, added }] of this.ipRuns) {
      if (!added) {
        throw new ContractError(
          `IP run ${key}, named by ${labelOf(index, this.plan.runId)}, was not read: the reduce would lose its counts`,
        );
      }
    }
    const merged = this.merger.mergeIpCounts();
    // An indexed loop: for-of over 1.45 M typed-array entries, run once, cost 20-60 ms.
    const { counts } = merged;
    let total = 0;
    for (let i = 0; i < counts.length; i++) total += counts[i]!;
    const ok = this.merger.okRows;
    if (total !== ok) {
      throw new ContractError(
        `the partials of run ${this.plan.runId} count ${total} requests by IP but ${ok} ok rows: a partial's IP counts are missing or doubled; rerun the execution`,
      );
    }
    this.provenIpCounts = merged;
    return merged;
  }

  /** Proves coverage and builds the outputs; call once, after the last add. */
  result(): ReducedRun {
    const { plan, headers } = this;
    const coverage = proveCoverage(plan, headers);
    this.mergedIpCounts();
    const merged = { ...this.merger.result(), quarantine: numberedQuarantine(headers) };
    const tables = buildTables(merged, plan.options.topN);
    const topIps = tableRows(tables.top_ips).map((r) => ({ ip: String(r.ip), count: Number(r.count) }));
    const validation = buildValidation(plan, merged, coverage, topIps);
    return { coverage, merged, tables, validation };
  }
}

function labelOf(index: number, runId: string): string {
  return `partial ${index} of run ${runId}`;
}
