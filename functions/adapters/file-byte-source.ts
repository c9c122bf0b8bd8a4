import { createReadStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import type { ByteSource } from "../core/byte-source";
import { InputRejectedError } from "../core/errors";

/**
 * A local file as a ByteSource: ranged reads through fs streams, `chunkBytes` (1 MiB) at a
 * time, or, for streamReused, positional reads into two buffers in turn.
 */
export async function openFileByteSource(path: string, chunkBytes = 1 << 20): Promise<ByteSource> {
  const { size } = await stat(path);
  return {
    size,
    name: path,
    async *stream(start: number, end = size) {
      if (end <= start) return;
      const stream = createReadStream(path, { start, end: end - 1, highWaterMark: chunkBytes });
      try {
        for await (const chunk of stream) yield chunk as Buffer;
      } finally {
        stream.destroy();
      }
    },
    async *streamReused(start: number, end = size) {
      if (end <= start) return;
      const file = await open(path);
      // A consumer that stops early leaves the next chunk's read in flight: it is awaited (its
      // failure no longer matters) before the file is closed.
      let reading: Promise<number> | undefined;
      try {
        // Two buffers in turn: the next chunk is read into one while the consumer has the other.
        const length = Math.min(chunkBytes, end - start);
        const buffers = [Buffer.allocUnsafe(length), Buffer.allocUnsafe(length)] as const;
        const readAt = (at: number, into: Buffer) =>
          file.read(into, 0, Math.min(length, end - at), at).then(({ bytesRead }) => {
            if (bytesRead === 0) {
              throw new InputRejectedError(
                `${path} ends at byte ${at}, not ${size} as when it was opened: it changed while being read; rerun once it is complete`,
              );
            }
            return bytesRead;
          });
        reading = readAt(start, buffers[0]);
        for (let at = start, turn = 0; at < end; turn ^= 1) {
          const bytesRead = await reading;
          const buffer = buffers[turn]!;
          at += bytesRead;
          // The consumer asked for this chunk, so it is done with the other buffer's.
          if (at < end) reading = readAt(at, buffers[turn ^ 1]!);
          yield bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
        }
      } finally {
        await reading?.catch(() => 0);
        await file.close();
      }
    },
  };
}
