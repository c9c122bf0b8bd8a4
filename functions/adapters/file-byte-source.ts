import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { ByteSource } from "../core/byte-source";

/** A local file as a ByteSource: ranged reads through fs streams, 1 MiB at a time. */
export async function openFileByteSource(path: string): Promise<ByteSource> {
  const { size } = await stat(path);
  return {
    size,
    name: path,
    async *stream(start: number, end = size) {
      if (end <= start) return;
      const stream = createReadStream(path, { start, end: end - 1, highWaterMark: 1 << 20 });
      try {
        for await (const chunk of stream) yield chunk as Buffer;
      } finally {
        stream.destroy();
      }
    },
  };
}
