/** The in-memory byte source: the bytes asked for, in chunks of at most the size given, and no more. */
import { describe, expect, it } from "vitest";
import { memoryByteSource } from "../../functions/core/byte-source";

async function chunksOf(stream: AsyncIterable<Uint8Array>): Promise<string[]> {
  const chunks: string[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk).toString());
  return chunks;
}

describe("memoryByteSource", () => {
  it("is named memory unless given a name, and is as large as its bytes", () => {
    const bytes = Buffer.from("abcdef");

    expect([memoryByteSource(bytes).name, memoryByteSource(bytes).size]).toEqual(["memory", 6]);
    expect(memoryByteSource(bytes, "s3://in/k.csv").name).toBe("s3://in/k.csv");
  });

  it("streams [start, end) in chunks of at most chunkBytes, with no empty chunk after the last", async () => {
    // Prepare
    const source = memoryByteSource(Buffer.from("abcdefgh"), "m", 2);

    // Act
    const whole = await chunksOf(source.stream(0));
    const part = await chunksOf(source.stream(1, 6));

    // Assess
    expect(whole).toEqual(["ab", "cd", "ef", "gh"]);
    expect(part).toEqual(["bc", "de", "f"]);
  });

  it("an empty range streams no chunk at all", async () => {
    const source = memoryByteSource(Buffer.from("abcd"), "m", 2);

    expect(await chunksOf(source.stream(2, 2))).toEqual([]);
    expect(await chunksOf(source.stream(4))).toEqual([]);
  });
});
