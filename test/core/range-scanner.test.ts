/**
 * The range scanner on its own, against a model of the Hadoop rule written over the whole object
 * at once: which lines a range hands on (a line belongs to the range holding its first byte), at
 * which offsets, with which bytes and true lengths (CR/LF cut off, long lines clipped to what it
 * keeps), and the bounds it reports, whatever the chunks the source yields. Also what it asks the
 * source for: the range and one record's worth past it, and the rest only when a line runs on.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ByteRange } from "../../functions/contracts";
import { RAW_CLIP_BYTES } from "../../functions/core/aggregate";
import { type ByteSource, memoryByteSource } from "../../functions/core/byte-source";
import { type RangeBounds, scanRange } from "../../functions/core/range-scanner";
import { bytesOf } from "../helpers/edgar-csv";

const LF = 10;
const CR = 13;

/** One line as the sink saw it: its offset, its true length and (a copy of) the bytes it got. */
interface SeenLine {
  readonly offset: number;
  readonly fullLength: number;
  readonly bytes: string;
}

/** One line as the model frames it: its offset and all its bytes without CR/LF. */
interface ModelLine {
  readonly offset: number;
  readonly bytes: string;
}

const latin1 = (bytes: Uint8Array) =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");

/** The bounds of a range (its index is no matter to the scanner). */
type Span = Pick<ByteRange, "start" | "end">;

/** Bytes a scan keeps of a line that crosses a chunk (range-scanner.ts). */
const keptOf = (maxRecordBytes: number) => Math.max(maxRecordBytes + 1, RAW_CLIP_BYTES);

/** Scans one range, copying what the sink gets (a chunk may be reused once the sink returns). */
async function scan(
  source: ByteSource,
  span: Span,
  dataStart: number,
  maxRecordBytes: number,
): Promise<{ lines: SeenLine[]; bounds: RangeBounds; arrays: Set<string> }> {
  const lines: SeenLine[] = [];
  const arrays = new Set<string>();
  const bounds = await scanRange(source, { index: 0, ...span }, dataStart, maxRecordBytes, {
    line(bytes, start, end, offset, fullLength) {
      arrays.add(Buffer.isBuffer(bytes) ? "Buffer" : bytes.constructor.name);
      // bytes[start, end) must lie in the array (a subarray would clip an end past it).
      const held =
        end <= bytes.length ? latin1(bytes.subarray(start, end)) : `(end ${end} past ${bytes.length})`;
      lines.push({ offset, fullLength, bytes: held });
    },
  });
  return { lines, bounds, arrays };
}

/**
 * The Hadoop rule over the whole object: the range owns the lines starting in [start, end), the
 * first of them at dataStart for the range starting there, else just after the first LF at or
 * after start - 1; the last line may run past end, or to the object's end without an LF.
 */
function model(
  bytes: Uint8Array,
  range: Span,
  dataStart: number,
): { lines: ModelLine[]; bounds: RangeBounds } {
  const size = bytes.length;
  let at = dataStart;
  if (range.start !== dataStart) {
    const nl = bytes.indexOf(LF, range.start - 1);
    if (nl < 0) return { lines: [], bounds: { firstRecordAt: size, endedAt: size } };
    at = nl + 1;
    if (at >= range.end) return { lines: [], bounds: { firstRecordAt: at, endedAt: at } };
  }
  const firstRecordAt = at;
  const lines: ModelLine[] = [];
  while (at < range.end && at < size) {
    const nl = bytes.indexOf(LF, at);
    let end = nl < 0 ? size : nl;
    if (end > at && bytes[end - 1] === CR) end--;
    lines.push({ offset: at, bytes: latin1(bytes.subarray(at, end)) });
    at = nl < 0 ? size : nl + 1;
  }
  return { lines, bounds: { firstRecordAt, endedAt: at } };
}

/**
 * Checks a scan against the model: the same lines at the same offsets with their true lengths,
 * and for each the whole line, or (a line longer than a scan keeps) at least the bytes it keeps.
 */
function expectModel(
  seen: { lines: SeenLine[]; bounds: RangeBounds },
  bytes: Uint8Array,
  range: Span,
  dataStart: number,
  maxRecordBytes: number,
) {
  const expected = model(bytes, range, dataStart);
  const kept = keptOf(maxRecordBytes);
  expect(seen.bounds).toEqual(expected.bounds);
  expect(seen.lines.map((l) => [l.offset, l.fullLength])).toEqual(
    expected.lines.map((l) => [l.offset, l.bytes.length]),
  );
  seen.lines.forEach((line, i) => {
    const whole = expected.lines[i]!.bytes;
    // A line that crosses a chunk is clipped to exactly what the scan keeps; one inside a chunk
    // comes whole.
    const clipped = whole.length > kept && line.bytes.length === kept;
    expect({ offset: line.offset, bytes: line.bytes }).toEqual({
      offset: line.offset,
      bytes: clipped ? whole.slice(0, kept) : whole,
    });
  });
}

/** A ByteSource that records each stream() it is asked for, as [start, end]. */
function recording(source: ByteSource): { source: ByteSource; calls: [number, number][] } {
  const calls: [number, number][] = [];
  return {
    calls,
    source: {
      size: source.size,
      name: source.name,
      stream(start: number, end = source.size) {
        calls.push([start, end]);
        return source.stream(start, end);
      },
    },
  };
}

/** The object cut into ranges at the given points (each inside (dataStart, size)). */
function rangesOf(dataStart: number, size: number, cuts: readonly number[]): Span[] {
  const points = [...new Set(cuts.filter((c) => c > dataStart && c < size))].sort((a, b) => a - b);
  const edges = [dataStart, ...points, size];
  return edges.slice(1).map((end, i) => ({ start: edges[i]!, end }));
}

/** Text of short lines, empty lines, CRs alone and before LFs, and lines longer than a scan keeps. */
const objectArb = fc
  .array(
    fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom("a", "bc,d", "\n", "\r\n", "\r", ",") },
      {
        weight: 1,
        arbitrary: fc.integer({ min: RAW_CLIP_BYTES - 3, max: RAW_CLIP_BYTES + 3 }).map((n) => "x".repeat(n)),
      },
    ),
    { maxLength: 60 },
  )
  .map((parts) => bytesOf(parts.join("")));

describe("scanRange", () => {
  it("frames every range of any object as the model does, whatever the chunks and the cuts", async () => {
    await fc.assert(
      fc.asyncProperty(
        objectArb,
        fc.nat(),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.integer({ min: 1, max: 3000 }),
        fc.constantFrom(0, 3, 100, RAW_CLIP_BYTES),
        async (bytes, headerAt, cuts, chunkBytes, maxRecordBytes) => {
          // Prepare: the data starts anywhere in the object (just after a header).
          const dataStart = bytes.length === 0 ? 0 : headerAt % (bytes.length + 1);
          const source = memoryByteSource(bytes, "memory", chunkBytes);

          for (const range of rangesOf(dataStart, bytes.length, cuts)) {
            // Act
            const seen = await scan(source, range, dataStart, maxRecordBytes);

            // Assess
            expectModel(seen, bytes, range, dataStart, maxRecordBytes);
          }
        },
      ),
      { seed: 1806, numRuns: 150 },
    );
  });

  it("reports adjacent ranges' bounds end to end, each line handed on by exactly one range", async () => {
    // Prepare: ranges cut inside lines, at line starts, just after an LF and on a CR.
    const bytes = bytesOf("head\nab\r\ncd\n\nefgh\r\nij");
    const dataStart = 5;
    const source = memoryByteSource(bytes, "memory", 3);
    const ranges = rangesOf(dataStart, bytes.length, [6, 9, 10, 13, 17, 18]);

    // Act
    const scans = [];
    for (const range of ranges) scans.push(await scan(source, range, dataStart, 0));

    // Assess
    expect(scans.map((s) => s.bounds)).toEqual([
      { firstRecordAt: 5, endedAt: 9 },
      { firstRecordAt: 9, endedAt: 9 },
      { firstRecordAt: 9, endedAt: 12 },
      { firstRecordAt: 12, endedAt: 13 },
      { firstRecordAt: 13, endedAt: 19 },
      { firstRecordAt: 19, endedAt: 19 },
      { firstRecordAt: 19, endedAt: 21 },
    ]);
    expect(scans.flatMap((s) => s.lines.map((l) => [l.offset, l.bytes]))).toEqual([
      [5, "ab"],
      [9, "cd"],
      [12, ""],
      [13, "efgh"],
      [19, "ij"],
    ]);
  });

  it("owns no line when no LF follows its start: its bounds are both the object's end", async () => {
    // Prepare: the last line starts before the range, and nothing after it ends a line.
    const bytes = bytesOf("h\nlong last line");
    const source = memoryByteSource(bytes, "memory", 4);

    // Act
    const seen = await scan(source, { start: 5, end: 9 }, 2, 0);

    // Assess
    expect(seen).toEqual({
      lines: [],
      bounds: { firstRecordAt: bytes.length, endedAt: bytes.length },
      arrays: new Set(),
    });
  });

  it.each([
    ["in CR", "\r", 0],
    ["in CRLF", "\r\n", 0],
    ["in LF", "\n", 0],
    ["in CR, at a chunk's end", "\r", 1],
  ])(
    "hands on an object's last line, crossing chunks, that ends %s without its CR or LF",
    async (_, eol, chunkShift) => {
      // Prepare: the last line crosses a chunk.
      const bytes = bytesOf("h\n", "abcdef", eol);
      const source = memoryByteSource(bytes, "memory", 4 + chunkShift);

      // Act
      const seen = await scan(source, { start: 2, end: bytes.length }, 2, 0);

      // Assess
      expect(seen.lines).toEqual([{ offset: 2, fullLength: 6, bytes: "abcdef" }]);
      expect(seen.bounds).toEqual({ firstRecordAt: 2, endedAt: bytes.length });
    },
  );

  it("cuts the CR off a line crossing chunks whose CR is the last byte a scan keeps of it", async () => {
    // Prepare: a line of exactly the bytes a scan keeps, its CR last, crossing chunks.
    const maxRecordBytes = RAW_CLIP_BYTES;
    const kept = keptOf(maxRecordBytes);
    const line = "y".repeat(kept - 1);
    const bytes = bytesOf(line, "\r\nz\n");
    const source = memoryByteSource(bytes, "memory", 1000);

    // Act
    const seen = await scan(source, { start: 0, end: bytes.length }, 0, maxRecordBytes);

    // Assess
    expect(seen.lines).toEqual([
      { offset: 0, fullLength: kept - 1, bytes: line },
      { offset: kept + 1, fullLength: 1, bytes: "z" },
    ]);
  });

  it("keeps maxRecordBytes + 1 bytes of a line far longer than RAW_CLIP_BYTES across many chunks", async () => {
    // Prepare: a keep beyond the first carry (64 KiB), a line beyond it, chunks of every size on
    // the way (the carry grows once by more than doubling, then up to what it keeps).
    const maxRecordBytes = 300_000;
    const long = Buffer.alloc(400_000);
    for (let i = 0; i < long.length; i++) long[i] = 97 + (i % 23);
    const bytes = bytesOf("h\nshort\n", long, "\nend\n");
    const chunks = [10, 150_000, 1, 30_000, 100_000, 200_000];
    const source: ByteSource = {
      size: bytes.length,
      name: "uneven",
      async *stream(start: number, end = bytes.length) {
        for (let p = start, k = 0; p < end; k++) {
          const next = Math.min(end, p + chunks[k % chunks.length]!);
          yield bytes.subarray(p, next);
          p = next;
        }
      },
    };

    // Act
    const seen = await scan(source, { start: 2, end: bytes.length }, 2, maxRecordBytes);

    // Assess
    expectModel(seen, bytes, { start: 2, end: bytes.length }, 2, maxRecordBytes);
    expect(seen.lines.map((l) => l.bytes.length)).toEqual([5, maxRecordBytes + 1, 3]);
  });

  it("asks for the range and one kept record past it as one read, and the rest only when a line runs on", async () => {
    // Prepare: a range owning a short line and then a line longer than it keeps.
    const kept = keptOf(0);
    const bytes = bytesOf("h\nab\n", "w".repeat(2 * kept), "\ntail\n");
    const range = { start: 2, end: 6 };

    // Act: the ranges from the object's first data byte, and from one byte on.
    const whole = recording(memoryByteSource(bytes, "memory", 512));
    const first = await scan(whole.source, range, 2, 0);
    const next = recording(memoryByteSource(bytes, "memory", 512));
    const second = await scan(next.source, { start: 3, end: 6 }, 2, 0);
    const done = recording(memoryByteSource(bytes, "memory", 512));
    await scan(done.source, { start: 2, end: 4 }, 2, 0);

    // Assess
    expect(first.lines.map((l) => [l.offset, l.fullLength])).toEqual([
      [2, 2],
      [5, 2 * kept],
    ]);
    expect(whole.calls).toEqual([
      [2, 6 + kept + 1],
      [6 + kept + 1, bytes.length],
    ]);
    expect(second.lines.map((l) => [l.offset, l.fullLength])).toEqual([[5, 2 * kept]]);
    expect(next.calls).toEqual([
      [2, 6 + kept + 1],
      [6 + kept + 1, bytes.length],
    ]);
    // A range whose only line ends inside the read asks for no more.
    expect(done.calls).toEqual([[2, 4 + kept + 1]]);
  });

  it("asks no read past the object's end, and none for an empty rest", async () => {
    // Prepare: an object shorter than one kept record past the range.
    const bytes = bytesOf("h\nab\ncd");
    const { source, calls } = recording(memoryByteSource(bytes, "memory", 2));

    // Act
    const seen = await scan(source, { start: 3, end: 6 }, 2, 0);

    // Assess
    expect(seen.lines).toEqual([{ offset: 5, fullLength: 2, bytes: "cd" }]);
    expect(calls).toEqual([[2, bytes.length]]);
  });

  it("reads through streamReused when the source has it, each chunk copied before the next", async () => {
    // Prepare: a source that overwrites one buffer for every chunk (and would fail a plain read).
    const bytes = bytesOf("h\n", "abc\r\ndefgh\n", "i".repeat(RAW_CLIP_BYTES + 10), "\r\njk");
    const chunkBytes = 7;
    const reused = new Uint8Array(chunkBytes);
    const calls: [number, number][] = [];
    const source: ByteSource = {
      size: bytes.length,
      name: "reused",
      stream() {
        throw new Error("stream() was asked for though streamReused is there");
      },
      async *streamReused(start: number, end = bytes.length) {
        calls.push([start, end]);
        for (let p = start; p < end; p += chunkBytes) {
          const n = Math.min(chunkBytes, end - p);
          reused.fill(0);
          reused.set(bytes.subarray(p, p + n));
          yield reused.subarray(0, n);
        }
      },
    };
    const range = { start: 2, end: bytes.length };

    // Act
    const seen = await scan(source, range, 2, 0);

    // Assess
    expectModel(seen, bytes, range, 2, 0);
    expect(seen.lines).toHaveLength(4);
    expect(calls.length).toBeGreaterThan(0);
  });

  it("hands a line inside one chunk on in place, and copies only a line that crosses chunks", async () => {
    // Prepare: the object in memory of its own, read from byte 2 in chunks "ab\ncde" "f\nij\ng" "h\n".
    const bytes = new Uint8Array(bytesOf("h\nab\ncdef\nij\ngh\n"));
    const source = memoryByteSource(bytes, "memory", 6);
    const seen: [string, boolean][] = [];

    // Act
    await scanRange(source, { index: 0, start: 2, end: bytes.length }, 2, 0, {
      line(b, start, end) {
        seen.push([latin1(b.subarray(start, end)), b.buffer === bytes.buffer]);
      },
    });

    // Assess: the sink sees the object's own memory for the lines no chunk boundary cuts.
    expect(seen).toEqual([
      ["ab", true],
      ["cdef", false],
      ["ij", true],
      ["gh", false],
    ]);
  });

  it("hands the sink Buffers, whatever kind of array the source yields", async () => {
    // Prepare: plain Uint8Array chunks, not Buffers.
    const bytes = new Uint8Array(bytesOf("h\nab\ncd\n"));
    const source = memoryByteSource(bytes, "memory", 4);

    // Act
    const seen = await scan(source, { start: 2, end: bytes.length }, 2, 0);

    // Assess
    expect(seen.lines.map((l) => l.bytes)).toEqual(["ab", "cd"]);
    expect(seen.arrays).toEqual(new Set(["Buffer"]));
  });
});
