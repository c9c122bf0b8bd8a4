/**
 * The map stage over local files, as a worker-pool call: the in-process engine's stand-in for a
 * map Lambda, reading the source file and writing the partial to the work directory.
 */
import { openFileByteSource } from "../functions/adapters/file-byte-source";
import { fileObjectStore } from "../functions/adapters/file-object-store";
import type { MapResult, RangeTask } from "../functions/contracts";
import { mapRange } from "../functions/stages/map-stage";

export interface MapOnFilesTask {
  readonly file: string;
  readonly workDir: string;
  readonly task: RangeTask;
}

export const MAP_ON_FILES_MODULE = import.meta.url;

export async function mapOnFiles({ file, workDir, task }: MapOnFilesTask): Promise<MapResult> {
  const source = await openFileByteSource(file);
  return mapRange({ task, work: fileObjectStore(workDir), openSource: async () => source });
}
