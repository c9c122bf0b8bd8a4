/**
 * The IP counter against a plain Map: keys of every length (inline slots hold up to 15 bytes,
 * longer keys live in an arena), NUL and non-ASCII bytes, and enough keys to force growth.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { IpCounts } from "../../functions/core/aggregate";
import { ByteCounter, PAIR_SORT_KEYS } from "../../functions/core/byte-counter";

/** The counter's sorted entries as [key bytes as hex, count], in the order it returns them. */
function entriesOf(counter: ByteCounter): [string, number][] {
  const e = counter.takeSortedEntries() as unknown as {
    keys: Uint8Array | readonly string[];
    ends?: Uint32Array;
    counts: ArrayLike<number>;
  };
  const out: [string, number][] = [];
  for (let i = 0; i < e.counts.length; i++) {
    const key =
      e.keys instanceof Uint8Array
        ? e.keys.subarray(i === 0 ? 0 : e.ends![i - 1], e.ends![i])
        : Buffer.from((e.keys as readonly string[])[i]!, "utf8");
    out.push([Buffer.from(key).toString("hex"), e.counts[i]!]);
  }
  return out;
}

/** What the counter must hold: a Map from key bytes to count, sorted by unsigned bytes. */
function modelOf(keys: readonly Uint8Array[]): [string, number][] {
  const model = new Map<string, number>();
  for (const k of keys) {
    const hex = Buffer.from(k).toString("hex");
    model.set(hex, (model.get(hex) ?? 0) + 1);
  }
  // Hex text sorts as the bytes do (unsigned, a prefix first).
  return [...model].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The entries as one text, one `key count` line each: cheap to compare and to diff. */
const lines = (entries: [string, number][]) => entries.map(([k, n]) => `${k} ${n}`).join("\n");
/** The entries' counts, whatever their order. */
const counted = (counter: ByteCounter) =>
  lines(entriesOf(counter).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** Adds every key, each at a different offset inside a larger buffer (start/end are honoured). */
function count(keys: readonly Uint8Array[], pad = 3, counter = new ByteCounter()): ByteCounter {
  for (const k of keys) {
    const buffer = new Uint8Array(k.length + 2 * pad).fill(0x2c);
    buffer.set(k, pad);
    counter.add(buffer, pad, pad + k.length);
  }
  return counter;
}

const utf8 = (s: string) => new Uint8Array(Buffer.from(s, "utf8"));

/** Valid UTF-8 keys (so any output shape can carry them): NUL, ASCII, 2-4 byte characters. */
const charArb = fc.oneof(
  fc.constantFrom("\u0000", ".", "1", "a", "z", "\u007f", "é", "€", "😀", "\uffff"),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 }),
);
const keyArb = fc
  .array(charArb, { minLength: 1, maxLength: 40 })
  .map((cs) => utf8(cs.join("")))
  .filter((b) => b.length >= 1 && b.length <= 100);
/** Keys that share long prefixes and differ near the 15-byte inline limit. */
const nearLimitArb = fc
  .tuple(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 0, max: 3 }), fc.constantFrom(0, 1, 0x80, 0xff))
  .map(([length, which, last]) => {
    const k = new Uint8Array(length).fill(0x61 + which);
    k[length - 1] = last === 0xff || last === 0x80 ? 0x41 + which : last === 0 ? 0 : 0x31;
    return k;
  });

/** Distinct keys for a table of a few slots: drawn ones, and up to 400 more that fill it. */
const spillingKeysArb = fc
  .tuple(fc.array(fc.oneof(keyArb, nearLimitArb), { maxLength: 300 }), fc.integer({ min: 0, max: 400 }))
  .map(([drawn, spread]) => [...drawn, ...Array.from({ length: spread }, (_, i) => utf8(`10.0.${i}.z`))]);

/**
 * Keys of 1-15 bytes over all byte values: no long key, so the radix sort runs. Shared stems
 * make the later bytes decide too, not only the first four.
 */
const shortKeyArb = fc
  .tuple(
    fc.constantFrom("", "1.", "10.0.", "101.81.1", "aaaaaaaaaaaa"),
    fc.uint8Array({ minLength: 1, maxLength: 15 }),
  )
  .map(([stem, tail]) => new Uint8Array([...utf8(stem), ...tail]).subarray(0, 15));

describe("ByteCounter", () => {
  it("counts a key of every length from 1 to 100 bytes exactly once per add", () => {
    const keys: Uint8Array[] = [];
    for (let length = 1; length <= 100; length++) {
      const key = utf8("7".repeat(length));
      for (let n = 0; n < (length % 3) + 1; n++) keys.push(key);
    }
    expect(counted(count(keys))).toBe(lines(modelOf(keys)));
  });

  it("keeps keys that differ only in length, in a trailing NUL, or at byte 15 or 16 apart", () => {
    const base = "123.456.789.abc"; // exactly 15 bytes
    const keys = [
      base,
      `${base}d`,
      `${base}\u0000`,
      base.slice(0, 14),
      `${base.slice(0, 14)}\u0000`,
      `${base}de`,
      `${base}df`,
      "\u0000",
      "\u0000\u0000",
    ].map(utf8);
    const all = [...keys, ...keys, keys[1]!];
    expect(counted(count(all))).toBe(lines(modelOf(all)));
    expect(entriesOf(count(all))).toHaveLength(keys.length);
  });

  it("counts a key as one key whether its buffer ends with it or goes on past it (property)", () => {
    // A key with 16 bytes of buffer from its start is read a word at a time with the bytes
    // past it masked off; one at the buffer's end, byte by byte. Both must make the same key.
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.oneof(keyArb, nearLimitArb),
            fc.integer({ min: 0, max: 20 }),
            fc.integer({ min: 0, max: 255 }),
          ),
          {
            maxLength: 100,
          },
        ),
        (adds) => {
          const counter = new ByteCounter();
          for (const [key, after, filler] of adds) {
            const buffer = new Uint8Array(key.length + after).fill(filler);
            buffer.set(key, 0);
            counter.add(buffer, 0, key.length);
          }
          expect(lines(entriesOf(counter))).toBe(lines(modelOf(adds.map(([key]) => key))));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("returns its entries sorted by unsigned bytes, for any keys (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(keyArb, nearLimitArb), { maxLength: 200 }), (keys) => {
        expect(lines(entriesOf(count(keys)))).toBe(lines(modelOf(keys)));
      }),
      { numRuns: 100 },
    );
  });

  it("sorts tables of short keys only (the radix path) by unsigned bytes, every byte deciding (property)", () => {
    // Each byte position, the first included, must decide the order where the bytes before it tie.
    fc.assert(
      fc.property(fc.array(shortKeyArb, { minLength: 2, maxLength: 300 }), (keys) => {
        expect(lines(entriesOf(count(keys)))).toBe(lines(modelOf(keys)));
      }),
      { numRuns: 200, seed: 1201 },
    );
  });

  it("sorts a table of more short keys than PAIR_SORT_KEYS (two bytes a digit) by unsigned bytes (property)", () => {
    // As above, in numbers that take the sort two bytes at a time: every byte of a pair, and
    // the length in the last pair, must decide.
    fc.assert(
      fc.property(
        fc.array(shortKeyArb, {
          minLength: PAIR_SORT_KEYS + 1,
          maxLength: PAIR_SORT_KEYS + 4000,
          size: "max",
        }),
        (keys) => {
          expect(lines(entriesOf(count(keys)))).toBe(lines(modelOf(keys)));
        },
      ),
      // A failure shrinks no further: each step of shrinking 16,000 keys would be another sort.
      { numRuns: 4, seed: 1203, endOnFailure: true },
    );
  });

  it("takes out exactly the keys' bytes, nothing past the last key, with or without long keys", () => {
    for (const keys of [
      ["1.2.3.4", "10.0.0.1", "a"],
      ["1.2.3.4", "x".repeat(40), "a"],
    ]) {
      const entries = count(keys.map(utf8)).takeSortedEntries();
      expect(entries.keys.length).toBe(keys.reduce((n, k) => n + Buffer.byteLength(k), 0));
      expect(entries.ends.at(-1)).toBe(entries.keys.length);
    }
  });

  it("tells apart long keys that are prefixes of each other or share their first 64 bytes", () => {
    const stem = "x".repeat(64);
    const keys = [
      `${stem}`,
      `${stem}a`,
      `${stem}ab`,
      `${stem}b`,
      `${stem}a`,
      stem.slice(0, 16),
      stem.slice(0, 17),
    ].map(utf8);
    expect(lines(entriesOf(count(keys)))).toBe(lines(modelOf(keys)));
  });

  it("orders keys by unsigned bytes, a prefix first, non-ASCII after ASCII", () => {
    const keys = ["b", "a", "ab", "é", "a\u0000", "\u007f", "aaaaaaaaaaaaaaaaaaaa"].map(utf8);
    expect(entriesOf(count(keys)).map(([hex]) => Buffer.from(hex, "hex").toString("utf8"))).toEqual([
      "a",
      "a\u0000",
      "aaaaaaaaaaaaaaaaaaaa",
      "ab",
      "b",
      "\u007f",
      "é",
    ]);
  });

  it("grows past its initial table with 50,000 distinct keys, short and long, losing none", () => {
    const keys: Uint8Array[] = [];
    for (let i = 0; i < 50_000; i++) keys.push(utf8(i % 2 === 0 ? `10.${i}.x` : `host-${i}.example.invalid`));
    keys.push(...keys.slice(0, 1000));
    const entries = entriesOf(count(keys));
    expect(entries).toHaveLength(50_000);
    expect(lines(entries)).toBe(lines(modelOf(keys)));
  });

  it("tells apart 200,000 long keys of one length, among which 32-bit hashes collide", () => {
    // Among 200,000 keys, two 32-bit hashes are equal with a probability of 99 % (these keys
    // have such pairs): then only the bytes tell the keys apart.
    const keys = Array.from({ length: 200_000 }, (_, i) => utf8(`long-key-${String(i).padStart(8, "0")}`));
    const entries = entriesOf(count(keys));
    expect(entries).toHaveLength(200_000);
    expect(lines(entries)).toBe(lines(modelOf(keys)));
  });

  it("gives its counts as 32-bit integers when they fit, as 64-bit floats when one does not", () => {
    const counter = new ByteCounter();
    counter.add(utf8("1.2.3.abc"), 0, 9, 0xffff_ffff);
    const fits = counter.takeSortedEntries();
    expect(fits.counts).toBeInstanceOf(Uint32Array);
    expect([...fits.counts]).toEqual([0xffff_ffff]);
    counter.add(utf8("1.2.3.abc"), 0, 9, 2 ** 40);
    counter.add(utf8("1.2.3.abd"), 0, 9, 7);
    const large = counter.takeSortedEntries();
    expect(large.counts).toBeInstanceOf(Float64Array);
    expect([...large.counts]).toEqual([2 ** 40, 7]);
  });

  it("spills a run whose counts need 64 bits in arrays of its own, exact, though it reuses arrays for its runs", () => {
    const counter = new ByteCounter(0, 4, { reuseSpillArrays: true });
    expect([counter.tableBound, counter.reusesSpillArrays]).toEqual([4, true]);
    expect([new ByteCounter().tableBound, new ByteCounter().reusesSpillArrays]).toEqual([2 ** 19, false]);
    for (const [i, ip] of ["1.0.0.a", "1.0.0.b", "1.0.0.c", "1.0.0.d"].entries()) {
      counter.add(utf8(ip), 0, 7, i === 1 ? 2 ** 33 + 1 : 1);
    }
    const [wide] = counter.takeSpilledRuns();
    expect(wide!.counts).toBeInstanceOf(Float64Array);
    expect([...wide!.counts]).toEqual([1, 2 ** 33 + 1, 1, 1].slice(0, wide!.counts.length));
    // The next spill, of 32-bit counts, goes to the reused arrays.
    for (const ip of ["2.0.0.a", "2.0.0.b", "2.0.0.c", "2.0.0.d"]) counter.add(utf8(ip), 0, 7, 3);
    const [narrow] = counter.takeSpilledRuns();
    expect(narrow!.counts).toBeInstanceOf(Uint32Array);
    expect([...narrow!.counts].every((c) => c === 3)).toBe(true);
  });

  it("an empty counter has no entries, and taking the entries empties a counter", () => {
    expect(entriesOf(new ByteCounter())).toEqual([]);
    const counter = count([utf8("1.2.3.4"), utf8("a-key-longer-than-fifteen-bytes")]);
    expect(entriesOf(counter)).toHaveLength(2);
    expect(entriesOf(counter)).toEqual([]);
  });

  it("counts afresh after its entries are taken, round after round, with what it returned intact (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.oneof(keyArb, nearLimitArb), { maxLength: 400 }), {
          minLength: 2,
          maxLength: 5,
        }),
        fc.integer({ min: 0, max: 3000 }),
        (rounds, spread) => {
          // One counter for every round, as a mapper keeps it from range to range; `spread` more
          // distinct keys in some rounds make the table and the sort's arrays grow between takes.
          const counter = new ByteCounter();
          const taken: { keys: Uint8Array[]; entries: ReturnType<ByteCounter["takeSortedEntries"]> }[] = [];
          for (const [r, round] of rounds.entries()) {
            const distinct =
              r % 2 === 0
                ? round
                : [...round, ...Array.from({ length: spread }, (_, i) => utf8(`${r}.${i}`))];
            // Each key r + 1 times: a round's counts differ from every other round's.
            const keys = Array.from({ length: r + 1 }, () => distinct).flat();
            count(keys, 3, counter);
            taken.push({ keys, entries: counter.takeSortedEntries() });
          }
          for (const { keys, entries } of taken) {
            const got = Array.from(entries.ends, (end, i) => {
              const key = entries.keys.subarray(i === 0 ? 0 : entries.ends[i - 1], end);
              return `${Buffer.from(key).toString("hex")} ${entries.counts[i]}`;
            });
            expect(got.join("\n")).toBe(lines(modelOf(keys)));
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it("bounded to a few slots, spills sorted runs and takes them merged: the same entries as a plain Map (property)", () => {
    fc.assert(
      fc.property(
        spillingKeysArb,
        fc.constantFrom(4, 8, 64),
        fc.integer({ min: 1, max: 3 }),
        (distinct, maxSlots, rounds) => {
          const counter = new ByteCounter(0, maxSlots);
          for (let r = 0; r < rounds; r++) {
            // Each key r + 1 times, spread over the round, so that a key is in several runs.
            const keys = Array.from({ length: r + 1 }, () => distinct).flat();
            count(keys, 3, counter);
            const model = modelOf(keys);
            // A table of n slots holds 3n/4 keys: more distinct keys than that spilled.
            if (model.length > (maxSlots * 3) / 4 + 64) expect(counter.spilledRuns).toBeGreaterThan(0);
            expect(lines(entriesOf(counter))).toBe(lines(model));
            expect(counter.spilledRuns).toBe(0);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("spilled runs taken out as they come, and the take after them, add up to a plain Map: each sorted (property)", () => {
    fc.assert(
      fc.property(
        spillingKeysArb,
        fc.constantFrom(4, 8, 64),
        fc.array(fc.integer({ min: 0, max: 2000 }), { maxLength: 6 }),
        fc.boolean(),
        (distinct, maxSlots, takeAt, reuseSpillArrays) => {
          // Twice over, so that keys repeat across runs.
          const keys = [...distinct, ...distinct.slice().reverse()];
          const counter = new ByteCounter(0, maxSlots, { reuseSpillArrays });
          const parts: IpCounts[] = [];
          // Copied as taken, as a writer writes each away before counting on: with
          // reuseSpillArrays the first run's arrays are the counter's, and several runs may
          // wait between two takes.
          const take = () => {
            for (const run of counter.takeSpilledRuns()) {
              parts.push({ keys: run.keys.slice(), ends: run.ends.slice(), counts: run.counts.slice() });
            }
          };
          keys.forEach((k, i) => {
            count([k], 3, counter);
            if (takeAt.includes(i)) take();
          });
          take();
          expect(counter.spilledRuns).toBe(0);
          if (modelOf(keys).length > (maxSlots * 3) / 4 + 64) expect(parts.length).toBeGreaterThan(0);
          parts.push(counter.takeSortedEntries());
          const summed = new Map<string, number>();
          for (const part of parts) {
            const hexes = Array.from(part.ends, (end, i) =>
              Buffer.from(part.keys.subarray(i === 0 ? 0 : part.ends[i - 1], end)).toString("hex"),
            );
            // Strictly ascending by bytes (hex sorts as its bytes do): each part is a sorted run.
            for (let i = 1; i < hexes.length; i++) expect(hexes[i - 1]! < hexes[i]!).toBe(true);
            hexes.forEach((h, i) => {
              summed.set(h, (summed.get(h) ?? 0) + part.counts[i]!);
            });
          }
          const got = [...summed].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
          expect(lines(got)).toBe(lines(modelOf(keys)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("counts a key larger than the arena's first block (a 200 KB field)", () => {
    const huge = new Uint8Array(200_000).fill(0x61);
    const counter = count([huge, utf8("1.2.3.4"), huge]);
    expect(lines(entriesOf(counter))).toBe(lines(modelOf([huge, utf8("1.2.3.4"), huge])));
  });

  it("refuses a table bound that is not a power of two", () => {
    expect(() => new ByteCounter(0, 6)).toThrow(/power of two/);
    expect(() => new ByteCounter(0, 2)).toThrow(/power of two/);
  });

  it("equals a plain Map for any keys of 1 to 100 bytes (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(keyArb, nearLimitArb), { maxLength: 300 }), (keys) => {
        expect(counted(count(keys))).toBe(lines(modelOf(keys)));
      }),
      { numRuns: 300 },
    );
  });

  it("equals a plain Map when many keys force growth mid-stream (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(keyArb, nearLimitArb), { minLength: 1, maxLength: 50 }),
        fc.integer({ min: 2000, max: 6000 }),
        (seeds, n) => {
          // Valid UTF-8 throughout: a record whose bytes are not is corrupt, so its IP is never counted.
          const keys = Array.from({ length: n }, (_, i) => {
            const s = seeds[i % seeds.length]!;
            return new Uint8Array(Buffer.concat([s, utf8(`#${Math.floor(i / 2)}`)]));
          });
          expect(counted(count(keys))).toBe(lines(modelOf(keys)));
        },
      ),
      { numRuns: 15 },
    );
  });
});
