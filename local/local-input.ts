/**
 * The in-process engine's input: a CSV is read where it is; a .zip or .gz is first inflated into
 * the run's work directory by the same inflate stage the Inflate Lambda runs, and the staged CSV
 * is read instead.
 */
import { join } from "node:path";
import { openFileByteSource } from "../functions/adapters/file-byte-source";
import type { ArchiveRef } from "../functions/contracts";
import { archiveFormatOf, DEFAULT_MAX_INFLATED_BYTES } from "../functions/core/archive";
import type { ByteSource } from "../functions/core/byte-source";
import type { ObjectStore } from "../functions/core/object-store";
import { inflateRun } from "../functions/stages/inflate-stage";

export interface LocalInput {
  readonly source: ByteSource;
  readonly location: { readonly key: string };
  /** Set when the input was an archive: what the staged CSV came from. */
  readonly archive?: ArchiveRef;
}

export async function openLocalInput(
  file: string,
  runId: string,
  work: ObjectStore,
  workDir: string,
  maxInflatedBytes = DEFAULT_MAX_INFLATED_BYTES,
): Promise<LocalInput> {
  if (archiveFormatOf(file) === null)
    return { source: await openFileByteSource(file), location: { key: file } };
  const staged = await inflateRun({
    runId,
    source: await openFileByteSource(file),
    location: { key: file },
    work,
    maxInflatedBytes,
  });
  const path = join(workDir, ...staged.key.split("/"));
  return { source: await openFileByteSource(path), location: { key: path }, archive: staged.archive };
}
