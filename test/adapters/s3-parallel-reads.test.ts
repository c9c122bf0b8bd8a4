/**
 * A bounded read longer than a part is fetched as parallel part GETs from the local S3 server,
 * yielded in order: the bytes equal the object's for any bounds, and a consumer that stops early
 * leaves no read hanging.
 */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openS3ByteSource } from "../../functions/adapters/s3-byte-source";
import { type LocalS3, startLocalS3 } from "../../local/aws/local-s3";

const OBJECT = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 251));
let s3: LocalS3;
let etag: string;

beforeAll(async () => {
  s3 = await startLocalS3(["data"]);
  const put = await s3.client.send(new PutObjectCommand({ Bucket: "data", Key: "obj", Body: OBJECT }));
  etag = put.ETag ?? "";
});
afterAll(async () => {
  await s3?.stop();
});

async function readAll(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of chunks) parts.push(c);
  return Buffer.concat(parts);
}

describe("openS3ByteSource, bounded reads in parallel parts", () => {
  it("returns exactly the object's bytes for any bounds, part size and parallelism (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: OBJECT.length }),
        fc.nat({ max: OBJECT.length }),
        fc.integer({ min: 20_000, max: 120_000 }),
        fc.integer({ min: 1, max: 5 }),
        async (a, b, partBytes, parallel) => {
          const [start, end] = a <= b ? [a, b] : [b, a];
          const source = await openS3ByteSource(
            s3.client,
            { bucket: "data", key: "obj", etag, size: OBJECT.length },
            { partBytes, parallel },
          );
          expect((await readAll(source.stream(start, end))).equals(OBJECT.subarray(start, end))).toBe(true);
        },
      ),
      { seed: 21, numRuns: 25 },
    );
  });

  it("yields part-sized chunks in order, and stops cleanly when the consumer breaks off", async () => {
    const source = await openS3ByteSource(
      s3.client,
      { bucket: "data", key: "obj", etag, size: OBJECT.length },
      { partBytes: 10_000, parallel: 4 },
    );
    const seen: number[] = [];
    for await (const chunk of source.stream(5, 290_000)) {
      seen.push(chunk.length);
      if (seen.length === 3) break;
    }
    expect(seen).toEqual([10_000, 10_000, 10_000]);
    // The source is still usable: the aborted parts did not poison the client.
    expect((await readAll(source.stream(0, 100))).equals(OBJECT.subarray(0, 100))).toBe(true);
  });
});
