/**
 * Commits one run's outputs for its source, safely against crashes, retries and a concurrent
 * run of the same source:
 *
 * 1. The run writes every file under its own folder `_runs/source=<value>/run=<runId>/` (tables,
 *    quarantine, validation, report, manifest). Nothing a reader uses changes.
 * 2. It writes `_SUCCESS` (a CommitRecord naming the run) conditionally on the `_SUCCESS` it
 *    read: If-Match its ETag, or If-None-Match: * when there was none. This is the commit: a
 *    run that did not get here left no trace readers see.
 * 3. It publishes copies of the committed files where readers glob: each table at
 *    `<table>/source=<value>/part-00000.parquet` and the run files next to `_SUCCESS`. Each copy
 *    is written conditionally on the ETag read just before checking that `_SUCCESS` still names
 *    the run, so a run that was overtaken never overwrites the newer run's copies.
 * 4. It deletes the folders of runs that are neither it nor the run it replaced.
 *
 * Of two runs of a source, the one planned later wins (ties: the greater run id); the other fails
 * with CommitConflictError if it tries to commit after. A retried reducer finds `_SUCCESS` naming
 * its own run and only republishes.
 */
import {
  COMMIT_FORMAT,
  type CommitRecord,
  MANIFEST_FORMAT,
  type Manifest,
  type Plan,
  type SourceRef,
} from "../contracts";
import type { QuarantinedRecord } from "../core/aggregate";
import { CommitConflictError, PreconditionFailedError } from "../core/errors";
import { getJson, type ObjectStore } from "../core/object-store";
import { renderReport } from "../core/report";
import { TABLE_NAMES, type TableName } from "../core/tables";
import type { ValidationReport } from "../core/validation";
import { outputKeys, type RunFileName, sourcePartition } from "./layout";

export interface RunOutputs {
  readonly plan: Plan;
  /** Each table as an encoded Parquet file, with its row count. */
  readonly tables: Record<TableName, { readonly parquet: Uint8Array; readonly rows: number }>;
  readonly quarantine: readonly QuarantinedRecord[];
  readonly validation: ValidationReport;
}

/** Conditional writes that lose a race are retried this many times before the commit gives up. */
const MAX_RACES = 10;

/** Writes the outputs of a run, commits them and returns the run's manifest key. */
export async function commitOutputs(
  out: ObjectStore,
  { plan, tables, quarantine, validation }: RunOutputs,
  now: () => Date,
): Promise<string> {
  const partition = sourcePartition(plan.source);
  const runDir = outputKeys.runDir(partition, plan.runId);
  const successKey = outputKeys.runFile(partition, "_SUCCESS");
  const manifestKey = `${runDir}_manifest.json`;

  const quarantineKey = quarantine.length > 0 ? `${runDir}quarantine.jsonl` : null;
  const validationKey = `${runDir}validation.json`;
  const reportKey = `${runDir}report.html`;
  const report = await renderReport({ validation, quarantine });
  const written: Record<string, { key: string; rows: number; bytes: number }> = {};
  for (const name of TABLE_NAMES) {
    const { parquet, rows } = tables[name];
    written[name] = { key: `${runDir}${name}.parquet`, rows, bytes: parquet.length };
  }
  /** The run's files; only the manifest depends on when the run was committed. */
  const runFiles = (committedAt: string) => {
    const files = new Map<string, { body: Uint8Array | string; type: string }>();
    for (const name of TABLE_NAMES) {
      files.set(written[name]!.key, { body: tables[name].parquet, type: "application/vnd.apache.parquet" });
    }
    if (quarantineKey !== null) {
      const lines = quarantine.map(({ lineInRange: _, ...q }) => JSON.stringify(q)).join("\n");
      files.set(quarantineKey, { body: `${lines}\n`, type: "application/x-ndjson" });
    }
    files.set(validationKey, { body: json(validation), type: "application/json" });
    files.set(reportKey, { body: report, type: "text/html; charset=utf-8" });
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      version: 1,
      runId: plan.runId,
      source: plan.source,
      options: plan.options,
      rows: validation.rows,
      status: validation.status,
      rangeCount: plan.ranges.length,
      tables: written,
      validationKey,
      reportKey,
      quarantineKey,
      committedAt,
    };
    files.set(manifestKey, { body: json(manifest), type: "application/json" });
    return files;
  };

  const record: CommitRecord = {
    format: COMMIT_FORMAT,
    version: 1,
    runId: plan.runId,
    plannedAt: plan.plannedAt,
    committedAt: now().toISOString(),
    source: identityOf(plan.source),
    manifestKey,
    replaces: null,
  };
  const committed = await commit(out, successKey, record, async () => {
    for (const [key, { body, type }] of runFiles(record.committedAt)) await out.put(key, body, type);
  });
  // A retried reducer republishes the files as committed, with the first attempt's commit time.
  const files = runFiles(committed.committedAt);

  const published: (readonly [string, { body: Uint8Array | string; type: string } | null])[] = [
    ...TABLE_NAMES.map(
      (name) => [outputKeys.table(name, partition), files.get(written[name]!.key)!] as const,
    ),
    ...(["validation.json", "report.html", "_manifest.json", "quarantine.jsonl"] as const).map(
      (file: RunFileName) =>
        [outputKeys.runFile(partition, file), files.get(`${runDir}${file}`) ?? null] as const,
    ),
  ];
  for (const [key, file] of published) {
    if (!(await publish(out, successKey, plan.runId, key, file))) return manifestKey;
  }
  await removeOtherRuns(out, partition, [plan.runId, committed.replaced], successKey, plan.runId);
  return manifestKey;
}

/**
 * Makes `record` the source's `_SUCCESS`, writing the run's files first unless it already is.
 * Returns the run id it replaced (null if none) and the commit time, as on record.
 */
async function commit(
  out: ObjectStore,
  successKey: string,
  record: CommitRecord,
  writeRunFiles: () => Promise<void>,
): Promise<{ replaced: string | null; committedAt: string }> {
  let filesWritten = false;
  for (let race = 0; race < MAX_RACES; race++) {
    const current = await readCommit(out, successKey);
    if (current !== null) {
      if (current.record.runId === record.runId) {
        return { replaced: current.record.replaces, committedAt: current.record.committedAt };
      }
      refuseIfNotOurs(out, successKey, current.record, record);
    }
    if (!filesWritten) {
      await writeRunFiles();
      filesWritten = true;
    }
    try {
      const replaces = current?.record.runId ?? null;
      await out.putIfUnchanged(
        successKey,
        json({ ...record, replaces }),
        current?.etag ?? null,
        "application/json",
      );
      return { replaced: replaces, committedAt: record.committedAt };
    } catch (e) {
      if (!(e instanceof PreconditionFailedError)) throw e;
    }
  }
  throw new CommitConflictError(
    `${out.name}/${successKey} kept changing while run ${record.runId} committed (${MAX_RACES} tries); run it again`,
  );
}

/**
 * Throws unless `ours` may replace `current`: the same source object (an output directory of
 * local runs has no owner), and planned no earlier. A `_SUCCESS` without a commit record's
 * fields (written by an earlier version) may always be replaced.
 */
function refuseIfNotOurs(
  out: ObjectStore,
  successKey: string,
  current: CommitRecord,
  ours: CommitRecord,
): void {
  if (current.source.key === "") return;
  const where = `${out.name}/${successKey}`;
  const local = current.source.bucket === undefined && ours.source.bucket === undefined;
  if (!local && (current.source.key !== ours.source.key || current.source.bucket !== ours.source.bucket)) {
    throw new CommitConflictError(
      `${where} holds the outputs of ${describe(current.source)}, and ${describe(ours.source)} maps to the same partition: rename one of them (or give each its own folder) and run again`,
    );
  }
  if (plannedLater(current, ours)) {
    throw new CommitConflictError(
      `run ${ours.runId} (planned ${ours.plannedAt}) was overtaken: run ${current.runId}, planned later (${current.plannedAt}), committed ${where} first; its outputs stand`,
    );
  }
}

function plannedLater(a: CommitRecord, b: CommitRecord): boolean {
  return a.plannedAt === b.plannedAt ? a.runId > b.runId : a.plannedAt > b.plannedAt;
}

/**
 * Writes one copy where readers glob, unless `_SUCCESS` no longer names this run. Returns false
 * when it does not (a later run took over and publishes its own copies).
 */
async function publish(
  out: ObjectStore,
  successKey: string,
  runId: string,
  key: string,
  file: { body: Uint8Array | string; type: string } | null,
): Promise<boolean> {
  for (let race = 0; race < MAX_RACES; race++) {
    const etag = await out.etag(key);
    if ((await readCommit(out, successKey))?.record.runId !== runId) return false;
    if (file === null) {
      if (etag !== null) await out.delete([key]);
      return true;
    }
    try {
      await out.putIfUnchanged(key, file.body, etag, file.type);
      return true;
    } catch (e) {
      if (!(e instanceof PreconditionFailedError)) throw e;
    }
  }
  throw new CommitConflictError(
    `${out.name}/${key} kept changing while run ${runId} published it; run it again`,
  );
}

/** Deletes other runs' folders and stray table files, while `_SUCCESS` still names this run. */
async function removeOtherRuns(
  out: ObjectStore,
  partition: string,
  keep: readonly (string | null)[],
  successKey: string,
  runId: string,
): Promise<void> {
  const runDirs = outputKeys.runDirPrefix(partition);
  const kept = new Set(keep.filter((id) => id !== null).map((id) => outputKeys.runDir(partition, id)));
  const stale = (await out.list(runDirs)).filter(
    (k) => !kept.has(k.slice(0, k.indexOf("/", runDirs.length) + 1)),
  );
  for (const name of TABLE_NAMES) {
    const table = outputKeys.table(name, partition);
    stale.push(...(await out.list(outputKeys.tablePrefix(name, partition))).filter((k) => k !== table));
  }
  if (stale.length > 0 && (await readCommit(out, successKey))?.record.runId === runId)
    await out.delete(stale);
}

async function readCommit(
  out: ObjectStore,
  successKey: string,
): Promise<{ record: CommitRecord; etag: string } | null> {
  const etag = await out.etag(successKey);
  if (etag === null) return null;
  let doc: Partial<CommitRecord>;
  try {
    // Read again when the transfer fails or comes cut short (a body reset mid-way passes the
    // SDK's retries): two runs committing at once read it while the other rewrites it.
    doc = await getJson<Partial<CommitRecord>>(out, successKey);
  } catch (e) {
    // Deleted between the two reads: as if absent; the conditional write decides.
    if ((await out.etag(successKey)) === null) return null;
    throw e;
  }
  return {
    etag,
    record: {
      format: COMMIT_FORMAT,
      version: 1,
      runId: String(doc.runId),
      // A `_SUCCESS` written before commit records existed: any new run replaces it.
      plannedAt: doc.plannedAt ?? "",
      committedAt: doc.committedAt ?? "",
      source: doc.source ?? { key: "" },
      manifestKey: doc.manifestKey ?? "",
      replaces: doc.replaces ?? null,
    },
  };
}

/** What identifies a source across runs: the uploaded object (the archive, for an inflated CSV). */
function identityOf(source: SourceRef): CommitRecord["source"] {
  const origin = source.archive ?? source;
  return {
    ...(origin.bucket === undefined ? {} : { bucket: origin.bucket }),
    key: origin.key,
    ...(origin.etag === undefined ? {} : { etag: origin.etag }),
  };
}

function describe(source: CommitRecord["source"]): string {
  return source.bucket === undefined ? source.key : `s3://${source.bucket}/${source.key}`;
}

function json(doc: unknown): string {
  return JSON.stringify(doc, null, 2);
}
