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

/**
 * The local engines' IP table bound: they map a few ranges of up to 256 MiB (sized for their
 * workers), whose distinct IPs 2^20 slots hold without a spill (a spill costs the reduce, the
 * serial end of a local run, the merge of the keys two runs share). 42 MiB a worker.
 */
export const LOCAL_IP_TABLE_SLOTS = 1 << 20;

export async function mapOnFiles({ file, workDir, task }: MapOnFilesTask): Promise<MapResult> {
  const source = await openFileByteSource(file);
  return mapRange({
    task,
    work: fileObjectStore(workDir),
    openSource: async () => source,
    ipTableSlots: LOCAL_IP_TABLE_SLOTS,
  });
}
