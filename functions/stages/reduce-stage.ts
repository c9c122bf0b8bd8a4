import type { ReduceResult } from "../contracts";
import { forEachConcurrently } from "../core/concurrency";
import { ContractError } from "../core/errors";
import { type ObjectStore, readDecoded } from "../core/object-store";
import { encodeParquet } from "../core/parquet";
import type { SpilledIpRun } from "../core/partial";
import {
  decodeIpRun,
  decodePartial,
  decodePartialAndSections,
  type IpSections,
  ipCountsReadAgain,
} from "../core/partial-codec";
import { PartialReducer } from "../core/reduce";
import { loadRenderer } from "../core/report";
import { TABLE_NAMES } from "../core/tables";
import type { ValidationReport } from "../core/validation";
import { commitOutputs, type RunOutputs } from "./commit-outputs";
import { workKeys } from "./layout";
import { readPlan } from "./read-plan";
import { ownsItsBuffer, releaseBuffers } from "./release-buffers";

export interface ReduceStageInput {
  readonly planKey: string;
  readonly work: ObjectStore;
  readonly out: ObjectStore;
  readonly now?: () => Date;
}

export interface ReduceOutcome {
  /** What the state machine gets back. */
  readonly result: ReduceResult;
  readonly validation: ValidationReport;
}

/** How many partials are fetched at once. */
const FETCH_CONCURRENCY = 16;

/**
 * A reduce under way: partials are read and folded in as their ranges finish (take), then
 * finish() reads whatever was not taken, proves coverage, merges, builds the tables and commits
 * the outputs. A reducer that starts after the map (the Lambda) takes nothing early; the local
 * engine takes each partial while the other ranges are still being mapped.
 */
export interface ReduceInProgress {
  /** Reads and folds in range `index`'s partial, once; a failure surfaces from finish(). */
  take(index: number): void;
  finish(): Promise<ReduceOutcome>;
}

/** Reads every partial, proves coverage, merges, builds the tables and commits the outputs. */
export async function reduceRun(input: ReduceStageInput): Promise<ReduceOutcome> {
  return (await startReduce(input)).finish();
}

/** Reads the plan and opens the reduce; nothing is read from the partials until take() or finish(). */
export async function startReduce({
  planKey,
  work,
  out,
  now = () => new Date(),
}: ReduceStageInput): Promise<ReduceInProgress> {
  // The report's chart libraries load (about half a second) while the partials are read and
  // merged; a failure to load surfaces where the report is rendered.
  loadRenderer().catch(() => {});
  const plan = await readPlan(work, planKey);
  // Each partial is folded in as it arrives: its counts and rows are added up. Its IP counts
  // (views of its bytes) wait for the k-way merge; those of a partial taken early are not kept
  // meanwhile but read again at the merge, so that while ranges are still being mapped (their
  // workers' memory in use) the reduce holds no partial's bytes (a 2.7 GB day: 190 MB).
  const reducer = new PartialReducer(plan);
  const rangeSeconds: (number | undefined)[] = new Array(plan.ranges.length);
  const taken = new Map<number, Promise<void>>();
  /** Ranges folded in early, with where their IP counts lie: the second read takes them there. */
  const foldedEarly = new Map<number, IpSections>();
  /** The IP runs each partial names, read at the merge. */
  const ipRunsOf = new Map<number, readonly SpilledIpRun[]>();
  /** The buffers the partials were read into: let go once the IP merge has read them. */
  const partialBuffers: ArrayBufferLike[] = [];
  let failure: { error: unknown } | undefined;
  /** Partial i's key, and its name in an error. */
  const partialAt = (i: number) => {
    const key = workKeys.partial(plan.runId, i);
    return { key, where: `${work.name}/${key}` };
  };
  const readPartial = (i: number) => {
    const { key, where } = partialAt(i);
    return readDecoded(work, key, (bytes) => ({ ...decodePartialAndSections(bytes, where), bytes }));
  };
  const take = (i: number, early: boolean): Promise<void> => {
    let reading = taken.get(i);
    if (reading === undefined) {
      reading = readPartial(i)
        .then(async ({ partial, ipSections, bytes }) => {
          rangeSeconds[i] = partial.seconds;
          if (partial.ipRuns !== undefined) ipRunsOf.set(i, partial.ipRuns);
          if (early) {
            reducer.add(partial, { ipCounts: "later" });
            foldedEarly.set(i, ipSections);
            // Nothing views these bytes now: their memory goes at once, not at a later collection.
            if (ownsItsBuffer(bytes)) await releaseBuffers([bytes.buffer]);
          } else {
            reducer.add(partial);
            // Its IP counts are views of these bytes; nothing else is, once they are merged.
            if (ownsItsBuffer(bytes)) partialBuffers.push(bytes.buffer);
          }
        })
        .catch((error: unknown) => {
          failure ??= { error };
        });
      taken.set(i, reading);
    }
    return reading;
  };
  /**
   * Reads the IP counts of a partial folded in early, for the merge: from where the first read
   * found them, without parsing its header again. Bytes not laid out as they were are decoded
   * whole, as at the first read: a read cut short is read again (IncompleteReadError), and a
   * partial whose IP entries changed is refused.
   */
  const readIpCounts = async (i: number, sections: IpSections): Promise<void> => {
    const { key, where } = partialAt(i);
    const { ipCounts, bytes } = await readDecoded(work, key, (bytes) => {
      const again = ipCountsReadAgain(bytes, sections, where);
      if (again !== undefined) return { ipCounts: again, bytes };
      const { ipCounts } = decodePartial(bytes, where).aggregate;
      if (ipCounts.ends.length !== sections.ends) {
        throw new ContractError(
          `partial ${i} of run ${plan.runId} changed between two reads (${sections.ends} IP counts, then ${ipCounts.ends.length}): rerun the execution`,
        );
      }
      return { ipCounts, bytes };
    });
    reducer.addIpCounts(i, ipCounts);
    if (ownsItsBuffer(bytes)) partialBuffers.push(bytes.buffer);
  };
  /** Reads an IP run partial `i` names, for the merge; decodeIpRun checks it is that run. */
  const readIpRun = async (i: number, run: SpilledIpRun): Promise<void> => {
    const where = `${work.name}/${run.key}`;
    const { ipCounts, bytes } = await readDecoded(work, run.key, (bytes) => ({
      ipCounts: decodeIpRun(bytes, run, where),
      bytes,
    }));
    reducer.addIpRun(i, run, ipCounts);
    if (ownsItsBuffer(bytes)) partialBuffers.push(bytes.buffer);
  };
  return {
    take(index) {
      void take(index, true);
    },
    async finish() {
      const reduceStarted = now();
      const clock = performance.now();
      await forEachConcurrently(plan.ranges.length, FETCH_CONCURRENCY, (i) => take(i, false));
      if (failure !== undefined) throw failure.error;
      const early = [...foldedEarly];
      await forEachConcurrently(early.length, FETCH_CONCURRENCY, (k) => readIpCounts(...early[k]!));
      const runs = [...ipRunsOf].flatMap(([i, named]) => named.map((run) => [i, run] as const));
      await forEachConcurrently(runs.length, FETCH_CONCURRENCY, (k) => readIpRun(...runs[k]!));
      // The partials go the moment their IP counts are merged, so that the tables and their
      // Parquet are built in the memory they leave, not beside them (a 2.7 GB day: 172 MB).
      reducer.mergeIpCounts();
      await releaseBuffers(partialBuffers.splice(0));
      const reduced = reducer.result();
      const { merged, tables } = reduced;
      const encoded = {} as RunOutputs["tables"];
      for (const name of TABLE_NAMES) {
        encoded[name] = { parquet: await encodeParquet(tables[name]), rows: tables[name].rowCount };
      }
      // Run facts for the report: the map stage as the time from planning to this reduce.
      const validation: ValidationReport = {
        ...reduced.validation,
        run: {
          rangeBytes: plan.options.rangeBytes,
          stageSeconds: {
            map: Math.max(0, (reduceStarted.getTime() - Date.parse(plan.plannedAt)) / 1000),
            reduce: (performance.now() - clock) / 1000,
          },
          ...(rangeSeconds.every((s) => s !== undefined) ? { rangeSeconds: rangeSeconds as number[] } : {}),
        },
      };
      const manifestKey = await commitOutputs(
        out,
        { plan, tables: encoded, quarantine: merged.quarantine, validation },
        now,
      );
      const result: ReduceResult = {
        runId: plan.runId,
        status: validation.status,
        manifestKey,
        rows: validation.rows,
        failedChecks: validation.checks.filter((c) => c.status === "fail").map((c) => c.name),
      };
      return { result, validation };
    },
  };
}
