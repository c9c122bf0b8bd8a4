import type { ArchiveRef, PlanResult, RangeTask, RunOptions, SourceRef } from "../contracts";
import { memberKey } from "../core/archive";
import type { ByteSource } from "../core/byte-source";
import { readHeader } from "../core/header";
import type { ObjectStore } from "../core/object-store";
import { putJson } from "../core/object-store";
import { buildPlan } from "../core/plan";
import { sourceStem, workKeys } from "./layout";

export interface PlanStageInput {
  readonly runId: string;
  readonly source: ByteSource;
  readonly location: { readonly bucket?: string; readonly key: string; readonly etag?: string };
  /** When the source is a CSV the inflate stage staged: the archive it came from. */
  readonly archive?: ArchiveRef;
  readonly options: RunOptions;
  readonly work: ObjectStore;
  readonly now?: Date;
  /** Round the range count up to a multiple of this: the workers that map them at once (in-process). */
  readonly rangesMultipleOf?: number;
}

/** Validates the header, cuts the object into ranges, writes the plan and the Map's items. */
export async function planRun(input: PlanStageInput): Promise<PlanResult> {
  const { runId, location, archive, options, work } = input;
  // A staged CSV is named, in messages and the partition, for what the user uploaded.
  const source: ByteSource =
    archive === undefined
      ? input.source
      : {
          size: input.source.size,
          name: `${archiveName(archive)} (${archive.member})`,
          stream: (start, end) => input.source.stream(start, end),
        };
  const header = await readHeader(source);
  const sourceRef: SourceRef = {
    ...location,
    size: source.size,
    stem: sourceStem(archive === undefined ? location.key : memberKey(archive.key, archive.member)),
    ...(archive === undefined ? {} : { archive }),
  };
  const plan = buildPlan(runId, sourceRef, header, options, input.now ?? new Date(), input.rangesMultipleOf);
  const planKey = workKeys.plan(runId);
  const tasksKey = workKeys.tasks(runId);
  const tasks: RangeTask[] = plan.ranges.map((r) => ({ version: 1, runId, planKey, index: r.index }));
  await putJson(work, planKey, plan);
  await work.put(tasksKey, JSON.stringify(tasks), "application/json");
  return { runId, planKey, tasksKey, rangeCount: plan.ranges.length, sourceBytes: source.size };
}

function archiveName(archive: ArchiveRef): string {
  return archive.bucket === undefined ? archive.key : `s3://${archive.bucket}/${archive.key}`;
}
