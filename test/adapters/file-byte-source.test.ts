/**
 * The local file as a ByteSource: stream() and streamReused() give the file's bytes for any
 * range and chunk size, and ranges read through one reused buffer (what the range scanner asks
 * for) give exactly what the same bytes in memory give.
 */
import { mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openFileByteSource } from "../../functions/adapters/file-byte-source";
import { InputRejectedError } from "../../functions/core/errors";
import { edgarCsvArb } from "../helpers/edgar-arbitraries";
import { heavyProperty } from "../helpers/property";
import { runCore, splitIndependent } from "../helpers/run-core";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "file-byte-source-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function collect(
  chunks: AsyncIterable<Uint8Array>,
  copy: boolean,
): Promise<{ bytes: Buffer; buffers: Set<ArrayBufferLike> }> {
  const parts: Buffer[] = [];
  const buffers = new Set<ArrayBufferLike>();
  for await (const c of chunks) {
    buffers.add(c.buffer);
    parts.push(copy ? Buffer.from(c) : Buffer.from(c.buffer, c.byteOffset, c.byteLength));
  }
  return { bytes: Buffer.concat(parts), buffers };
}

describe("openFileByteSource", () => {
  it("streams and reuse-streams exactly bytes [start, end) for any range and chunk size (property)", async () => {
    const path = join(dir, "bytes.bin");
    const content = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 37 + (i >> 5)) & 0xff));
    await writeFile(path, content);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 1, max: 1200 }),
        async (a, b, chunkBytes) => {
          const [start, end] = a <= b ? [a, b] : [b, a];
          const source = await openFileByteSource(path, chunkBytes);
          const expected = content.subarray(start, end);
          expect((await collect(source.stream(start, end), true)).bytes.equals(expected)).toBe(true);
          const reused = await collect(source.streamReused!(start, end), true);
          expect(reused.bytes.equals(expected)).toBe(true);
          // Two buffers, read into in turn.
          expect(reused.buffers.size).toBeLessThanOrEqual(2);
        },
      ),
      { numRuns: 150, seed: 7 },
    );
  });

  it("hands out two buffers in turn: a chunk kept past the next is overwritten, so a consumer must copy", async () => {
    const path = join(dir, "abc.bin");
    await writeFile(path, "aaaabbbbcccc");
    const source = await openFileByteSource(path, 4);
    const kept = await collect(source.streamReused!(0, 12), false);
    expect(kept.bytes.toString()).toBe("ccccbbbbcccc");
  });

  it("lets a consumer stop early, the failed read ahead of it closed quietly", async () => {
    const path = join(dir, "stops.csv");
    await writeFile(path, "y".repeat(100));
    const source = await openFileByteSource(path, 16);
    // The first chunk reads whole; the read ahead of it, at byte 16, finds the file's end.
    await truncate(path, 16);
    const seen: string[] = [];
    for await (const chunk of source.streamReused!(0, 100)) {
      seen.push(Buffer.from(chunk).toString());
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen).toEqual(["y".repeat(16)]);
  });

  it("says the file changed when it ends before its size at opening", async () => {
    const path = join(dir, "shrinks.csv");
    await writeFile(path, "x".repeat(100));
    const source = await openFileByteSource(path, 16);
    await truncate(path, 40);
    await expect(collect(source.streamReused!(0, 100), true)).rejects.toThrow(InputRejectedError);
    await expect(collect(source.streamReused!(0, 100), true)).rejects.toThrow(
      `${path} ends at byte 40, not 100 as when it was opened: it changed while being read; rerun once it is complete`,
    );
  });

  it("maps every range of a file to what the same bytes in memory give, for any range and chunk size (property)", async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        edgarCsvArb(),
        fc.integer({ min: 1, max: 400 }),
        fc.oneof(fc.constantFrom(1, 2, 7), fc.integer({ min: 1, max: 300 })),
        async (csv, rangeBytes, chunkBytes) => {
          const path = join(dir, `day-${n++}.csv`);
          await writeFile(path, csv.bytes);
          const options = {
            mode: "permissive" as const,
            maxRecordBytes: csv.maxRecordBytes,
            quarantineLimitPerRange: 1_000_000,
          };
          const inMemory = await runCore({ bytes: csv.bytes, rangeBytes, options });
          const fromFile = await runCore({
            bytes: csv.bytes,
            rangeBytes,
            options,
            source: await openFileByteSource(path, chunkBytes),
          });
          expect(splitIndependent(fromFile.merged)).toEqual(splitIndependent(inMemory.merged));
          expect(fromFile.tables).toEqual(inMemory.tables);
          await rm(path);
        },
      ),
      heavyProperty(20_261_202, 25),
    );
  });
});
