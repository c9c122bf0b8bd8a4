/**
 * The reducer's k-way merge of sorted IP counts against a plain Map: keys of every length
 * (the compare words cover 15 bytes, longer keys fall back to their bytes), NUL bytes, keys
 * that are prefixes of others, 0xff bytes (signed comparison would put them first), any number
 * of inputs, some empty; and inputs out of order are refused, not merged wrong.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { IpCounts } from "../../functions/core/aggregate";
import { ContractError } from "../../functions/core/errors";
import { mergeSortedIpCounts } from "../../functions/core/ip-merge";

const hexOrder = ([a]: [string, number], [b]: [string, number]) => (a < b ? -1 : a > b ? 1 : 0);

/** IpCounts from [key bytes as hex, count] pairs, in the order given. */
function ipCountsOf(pairs: readonly [string, number][]): IpCounts {
  const bytes = pairs.map(([hex]) => Buffer.from(hex, "hex"));
  const keys = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0));
  const ends = new Uint32Array(pairs.length);
  let at = 0;
  bytes.forEach((b, i) => {
    keys.set(b, at);
    at += b.length;
    ends[i] = at;
  });
  return { keys, ends, counts: Float64Array.from(pairs, ([, n]) => n) };
}

/** [key bytes as hex, count] pairs of `counts`, in their order. Hex sorts as the bytes do. */
function pairsOf(counts: IpCounts): [string, number][] {
  return Array.from(counts.ends, (end, i) => [
    Buffer.from(counts.keys.subarray(i === 0 ? 0 : counts.ends[i - 1], end)).toString("hex"),
    counts.counts[i]!,
  ]);
}

/** A sorted, duplicate-free part from any keys. */
function sortedPart(keys: readonly Uint8Array[], countOf: (i: number) => number): [string, number][] {
  const unique = [...new Set(keys.map((k) => Buffer.from(k).toString("hex")))];
  return unique.map((hex, i) => [hex, countOf(i)] as [string, number]).sort(hexOrder);
}

/** Bytes that stress the compare words: NUL (the padding), 0x7f/0x80 (the sign bit), 0xff. */
const byteArb = fc.oneof(
  fc.constantFrom(0x00, 0x01, 0x2e, 0x31, 0x7f, 0x80, 0xfe, 0xff),
  fc.integer({ min: 0, max: 255 }),
);
/** Keys of 0-40 bytes drawn from a few shared stems, so inputs share keys and prefixes. */
const keyArb = fc
  .tuple(
    fc.constantFrom(
      "",
      "3132372e302e302e",
      "3132372e302e302e3100",
      "000000000000000000000000000000",
      "ffffffffffffffffffffffffffff",
    ),
    fc.uint8Array({ minLength: 0, maxLength: 24 }),
    fc.array(byteArb, { maxLength: 4 }),
  )
  .map(([stem, tail, extra]) =>
    new Uint8Array([...Buffer.from(stem, "hex"), ...tail, ...extra]).subarray(0, 40),
  );

describe("mergeSortedIpCounts", () => {
  it("equals a Map's sums in unsigned byte order, for any inputs and any number of them", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(keyArb, { maxLength: 60 }), { maxLength: 9 }),
        fc.integer({ min: 1, max: 2 ** 40 }),
        (keySets, scale) => {
          const parts = keySets.map((keys, p) => sortedPart(keys, (i) => 1 + ((i * 7 + p * scale) % 1000)));
          const model = new Map<string, number>();
          for (const part of parts) for (const [k, n] of part) model.set(k, (model.get(k) ?? 0) + n);
          const merged = mergeSortedIpCounts(parts.map(ipCountsOf));
          expect(pairsOf(merged)).toEqual([...model].sort(hexOrder));
        },
      ),
      { seed: 20_261_201, numRuns: 400 },
    );
  });

  it("does not depend on the inputs' order and leaves them as they were", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(keyArb, { maxLength: 40 }), { minLength: 2, maxLength: 6 }),
        (keySets) => {
          const parts = keySets.map((keys) => ipCountsOf(sortedPart(keys, (i) => i + 1)));
          const before = parts.map(pairsOf);
          const forward = pairsOf(mergeSortedIpCounts(parts));
          expect(pairsOf(mergeSortedIpCounts([...parts].reverse()))).toEqual(forward);
          expect(parts.map(pairsOf)).toEqual(before);
        },
      ),
      { seed: 7, numRuns: 200 },
    );
  });

  it("merges many inputs of many keys", () => {
    const parts: [string, number][][] = [];
    for (let p = 0; p < 40; p++) {
      const keys = Array.from({ length: 2000 }, (_, i) =>
        Buffer.from(`10.${p % 7}.${(i * 31 + p) % 5000}.abc`),
      );
      parts.push(sortedPart(keys, () => 1));
    }
    const model = new Map<string, number>();
    for (const part of parts) for (const [k, n] of part) model.set(k, (model.get(k) ?? 0) + n);
    expect(pairsOf(mergeSortedIpCounts(parts.map(ipCountsOf)))).toEqual([...model].sort(hexOrder));
  });

  it("sums a long key found in several inputs once, and orders long keys that share 15 bytes", () => {
    const stem = "ab".repeat(15);
    const a = ipCountsOf([
      [`${stem}00`, 1],
      [`${stem}01`, 2],
      [`${stem}0100`, 3],
    ]);
    const b = ipCountsOf([
      ["31", 1],
      [stem, 4],
      [`${stem}01`, 5],
      [`${stem}02`, 6],
    ]);
    const c = ipCountsOf([
      [`${stem}01`, 7],
      [`${stem}0100`, 8],
      [`${stem}ff`, 9],
    ]);
    expect(pairsOf(mergeSortedIpCounts([a, b, c]))).toEqual([
      ["31", 1],
      [stem, 4],
      [`${stem}00`, 1],
      [`${stem}01`, 14],
      [`${stem}0100`, 11],
      [`${stem}02`, 6],
      [`${stem}ff`, 9],
    ]);
  });

  it("reads keys at the very end of an input's buffer as keys anywhere else", () => {
    // An input whose buffer ends right after its keys (read a byte at a time) against the same
    // keys followed by other bytes (read four at a time): equal keys must meet.
    const tight = ipCountsOf([
      ["61", 1],
      ["6100", 2],
      ["62", 3],
    ]);
    const roomy = ipCountsOf([
      ["61", 10],
      ["6100", 20],
      ["62", 30],
      ["7a".repeat(20), 1],
    ]);
    expect(pairsOf(mergeSortedIpCounts([tight, roomy]))).toEqual([
      ["61", 11],
      ["6100", 22],
      ["62", 33],
      ["7a".repeat(20), 1],
    ]);
  });

  it("reads a 15-byte key at the very end of a buffer as one amid other keys", () => {
    // 15 bytes is the longest key the words hold whole: its length byte must be 15 whether it is
    // read a byte at a time (the buffer ends with it) or four at a time, or equal keys miss.
    const key = "63".repeat(15);
    const tight = ipCountsOf([[key, 1]]);
    const roomy = ipCountsOf([
      [key, 2],
      ["7a".repeat(20), 1],
    ]);
    expect(pairsOf(mergeSortedIpCounts([tight, roomy]))).toEqual([
      [key, 3],
      ["7a".repeat(20), 1],
    ]);
  });

  it("writes out merged keys longer than the 16 bytes per key it first reserves", () => {
    const long = (p: number, i: number) =>
      `${(p * 1000 + i).toString(16).padStart(8, "0")}${"ee".repeat(36)}`;
    const parts = [0, 1, 2].map((p) =>
      sortedPart(
        Array.from({ length: 50 }, (_, i) => Buffer.from(long(p, i), "hex")),
        () => 1,
      ),
    );
    const merged = mergeSortedIpCounts(parts.map(ipCountsOf));
    expect(pairsOf(merged)).toEqual(parts.flat().sort(hexOrder));
    expect(merged.keys.length).toBe(150 * 40);
  });

  it("writes out a merged key longer than twice the bytes it first reserves, and short keys after it", () => {
    // Four entries reserve 256 key bytes: a 600-byte key must grow the buffer to hold it whole,
    // and the short key after it is written into the grown buffer.
    const long = "32".repeat(600);
    const a = ipCountsOf([
      ["31", 1],
      [long, 2],
    ]);
    const b = ipCountsOf([
      [long, 3],
      ["33", 1],
    ]);
    expect(pairsOf(mergeSortedIpCounts([a, b]))).toEqual([
      ["31", 1],
      [long, 5],
      ["33", 1],
    ]);
  });

  it("sizes its output once, for every input entry and key byte distinct: it never grows", () => {
    // The output's arrays are mapped once, large, and never grow and copy (a copy is fresh memory
    // touched); the merged arrays are views of them, so their buffers show the size reserved:
    // every input's key bytes, and the 16 bytes the last key's words are written as.
    const keys = Array.from({ length: 50 }, (_, i) => Buffer.from(`1.${i}.`));
    const parts = [0, 1, 2].map(() => ipCountsOf(sortedPart(keys, () => 1)));
    const merged = mergeSortedIpCounts(parts);
    expect(merged.ends.length).toBe(50);
    expect(merged.keys.buffer.byteLength).toBe(3 * Buffer.concat(keys).length + 16);
    expect(merged.ends.buffer.byteLength).toBe(150 * 4);
    // 32-bit counts: the inputs' counts sum to far less than 2^32.
    expect(merged.counts).toBeInstanceOf(Uint32Array);
    expect(merged.counts.buffer.byteLength).toBe(150 * 4);
  });

  it("merges into 64-bit counts, exactly, when the inputs' counts sum past 2^32 - 1", () => {
    const big = 2 ** 32 - 1;
    const a = ipCountsOf([
      ["31", big],
      ["32", 1],
    ]);
    const b = ipCountsOf([
      ["31", 5],
      ["33", 2 ** 40],
    ]);
    const merged = mergeSortedIpCounts([a, b]);
    expect(merged.counts).toBeInstanceOf(Float64Array);
    expect(pairsOf(merged)).toEqual([
      ["31", big + 5],
      ["32", 1],
      ["33", 2 ** 40],
    ]);
    // Just within: a sum of exactly 2^32 - 1 stays 32-bit, and its largest count is exact.
    const within = mergeSortedIpCounts([ipCountsOf([["31", big - 1]]), ipCountsOf([["31", 1]])]);
    expect(within.counts).toBeInstanceOf(Uint32Array);
    expect(pairsOf(within)).toEqual([["31", big]]);
  });

  it("refuses an input whose key ends go backwards, naming it and the entry", () => {
    const keys = Buffer.from("1.2.3.4" + "5.6.7.8" + "9.9.9.9");
    const backwards: IpCounts = {
      keys,
      ends: Uint32Array.of(7, 14, 10, 21),
      counts: Uint32Array.of(1, 1, 1, 1),
    };
    const call = () => mergeSortedIpCounts([ipCountsOf([["30", 1]]), backwards], ["partial 0", "partial 4"]);
    expect(call).toThrow(ContractError);
    expect(call).toThrow(/^IP counts of partial 4 have key ends out of order at entry 2: rerun/);
    // The first key of an input is cut from byte 0, whatever its end.
    const first: IpCounts = { keys, ends: Uint32Array.of(7, 3), counts: Uint32Array.of(1, 1) };
    expect(() => mergeSortedIpCounts([first], ["partial 1"])).toThrow(
      /partial 1 have key ends out of order at entry 1/,
    );
  });

  it("names an input by its place when no label is given", () => {
    const call = () =>
      mergeSortedIpCounts([
        ipCountsOf([["30", 1]]),
        ipCountsOf([
          ["32", 1],
          ["31", 1],
        ]),
      ]);
    expect(call).toThrow(/IP counts of input 2 of 2 are not in strictly ascending byte order at entry 1/);
  });

  it("gives empty counts for no inputs or only empty ones", () => {
    expect(pairsOf(mergeSortedIpCounts([]))).toEqual([]);
    expect(pairsOf(mergeSortedIpCounts([ipCountsOf([]), ipCountsOf([])]))).toEqual([]);
  });

  it.each([
    [
      "descending keys",
      [
        ["3132", 1],
        ["31", 1],
      ],
    ],
    [
      "a repeated key",
      [
        ["3132", 1],
        ["3132", 1],
      ],
    ],
    [
      "a NUL extension before its stem",
      [
        ["3100", 1],
        ["31", 1],
      ],
    ],
    [
      "0xff before 0x01 (signed order)",
      [
        ["ff", 1],
        ["01", 1],
      ],
    ],
    [
      "long keys differing past byte 15, descending",
      [
        ["00".repeat(15) + "02", 1],
        ["00".repeat(15) + "01", 1],
      ],
    ],
    // Less in one word and greater in a later one (the length byte): the first word that differs
    // decides, whichever word it is.
    [
      "a key less in bytes 0-3, though longer",
      [
        ["02", 1],
        ["0100", 1],
      ],
    ],
    [
      "a key less in bytes 4-7, though longer",
      [
        ["0000000002", 1],
        ["000000000100", 1],
      ],
    ],
    [
      "a key less in bytes 8-11, though longer",
      [
        ["0000000000000000" + "02", 1],
        ["0000000000000000" + "0100", 1],
      ],
    ],
    [
      "a repeated long key",
      [
        ["aa".repeat(20), 1],
        ["aa".repeat(20), 1],
      ],
    ],
    [
      "long keys differing past byte 15, descending, after a short key",
      [
        ["00", 1],
        ["00".repeat(15) + "02", 1],
        ["00".repeat(15) + "01", 1],
      ],
    ],
  ] as [string, [string, number][]][])("refuses an input out of order: %s", (_, pairs) => {
    const ok = ipCountsOf([["30", 1]]);
    const call = () => mergeSortedIpCounts([ok, ipCountsOf(pairs)], ["partial 0", "partial 7"]);
    expect(call).toThrow(ContractError);
    expect(call).toThrow(
      `IP counts of partial 7 are not in strictly ascending byte order at entry ${pairs.length - 1}:`,
    );
  });
});
