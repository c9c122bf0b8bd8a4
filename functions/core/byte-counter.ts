/**
 * Counts occurrences of byte strings (IP addresses) without making a JS string per record.
 *
 * An open-addressing hash table with linear probing, at most three quarters full. A slot is 16
 * bytes: a key of up to 15 bytes (every IPv4 address, EDGAR's masked ones included) is stored in
 * it, so a lookup reads one slot and the table stays small enough to keep much of it in cache.
 * A longer key lives in a byte arena, its slot holding where. Counts are in a parallel array.
 * No JS string is built: the counts are taken out as bytes (IpCounts), sorted by the keys' bytes,
 * for the range's partial; the reducer merges the sorted partials (ip-merge.ts).
 *
 * A counter is reusable: taking the entries empties it but keeps its table and its sort's
 * arrays for the next range, so a mapper that maps many ranges neither regrows the table nor
 * touches fresh memory (a first touch costs a page fault) for each.
 *
 * Its table is bounded: at `maxSlots` (MAX_TABLE_SLOTS by default, 12 MiB of table) it does not
 * grow but spills, taking its sorted entries out as a run and counting on in the emptied table.
 * The take merges the runs (ip-merge.ts), unless the caller took them out as they came
 * (takeSpilledRuns) to write them away. A range's distinct IPs grow with its size (one per
 * 320-450 bytes in a synthetic day), and an unbounded table with its sort arrays grew with them
 * (72 MiB at a 512 MiB range, and on); bounded, they stay within 21 MiB (42 at 2^20 slots). A
 * run holds a key in about 22 bytes; the table, a slot of 24 bytes at most three quarters full,
 * 32 or more (56 with the sort's arrays).
 */
import type { IpCounts } from "./aggregate";
import { fmix32 } from "./hash";
import { mergeSortedIpCounts } from "./ip-merge";
import { ViewCache } from "./view-cache";

/**
 * A slot is four int32 words. An inline key's bytes fill bytes 0-14 little-endian, zero-padded;
 * byte 15 (the top byte of word 3) is the tag: the key's length + 1, so 0 marks an empty slot.
 * A long key's slot holds its arena offset, length and hash in words 0-2 and the tag LONG_KEY.
 */
const SLOT_WORDS = 4;
const INLINE_BYTES = 15;
const LONG_KEY = 0xff;
const TAG_SHIFT = 24;
const INITIAL_SLOTS = 1 << 11;
/**
 * The most slots a table grows to, unless its mapper asks for another bound: 2^19 hold 393,216
 * keys, the distinct IPs of a 64 MiB range (the Lambdas' default; a synthetic day has ~210,000)
 * with room, in 12 MiB of table and 9 MiB of sort arrays. A larger range spills rather than grow
 * its table, so a mapper's memory is set by this bound, not by its range or its data. The local
 * engine maps a few large ranges and asks for 2^20 (LOCAL_IP_TABLE_SLOTS): a spill costs the reducer
 * the merge of the keys two runs share.
 */
export const MAX_TABLE_SLOTS = 1 << 19;
/**
 * Arrays lent for a spilled run of `entries` keys, `keyBytes` bytes in all: `ends` and `counts`
 * of `entries` each, and `keys` of keyBytes + SPILL_KEY_SLACK bytes (each key is written as its
 * slot's 16 bytes, the last one's past the end), none overlapping another.
 */
export type SpillArrays = (
  entries: number,
  keyBytes: number,
) => { keys: Uint8Array; ends: Uint32Array; counts: Uint32Array };
/** What a spilled run's keys are written with past their last byte. */
export const SPILL_KEY_SLACK = SLOT_WORDS * 4;
/** Inline keys wait in a batch of this many (hash, then the four words of their slot) to be counted. */
const PENDING_KEYS = 64;
const PENDING_INTS = 5;

/**
 * KEEP_BYTES[length * 4 + w]: the mask that keeps, of word w of a key read whole, the bytes
 * inside a key of `length` bytes (-1, a partial mask, or 0 past its end).
 */
const KEEP_BYTES = Int32Array.from({ length: (INLINE_BYTES + 1) * SLOT_WORDS }, (_, i) => {
  const inWord = Math.max(0, Math.min(4, Math.floor(i / SLOT_WORDS) - (i % SLOT_WORDS) * 4));
  return inWord === 4 ? -1 : (1 << (inWord * 8)) - 1;
});

export class ByteCounter {
  private slots: Int32Array;
  private counts: Float64Array;
  private mask: number;
  private keys = 0;
  /** Keys longer than INLINE_BYTES, back to back. */
  private arena = new Uint8Array(0);
  private arenaUsed = 0;
  private readonly pending = new Int32Array(PENDING_KEYS * PENDING_INTS);
  private readonly pendingCounts = new Float64Array(PENDING_KEYS);
  private pendingKeys = 0;
  private readonly views = new ViewCache();
  /**
   * The sort's arrays, kept between takes; each holds room for `sortRoom` keys. The sort's
   * other pair of arrays is the table itself, free while the sort runs (it never holds more
   * keys than three quarters of its slots): one pair less, 25 MB a mapper at a million keys.
   */
  private sortRoom = 0;
  private sortWords = new Int32Array(0);
  private sortCounts = new Float64Array(0);
  /** Sorted runs spilled from a full table since the last take. */
  private runs: IpCounts[] = [];
  private readonly maxSlots: number;
  /**
   * With reuseSpillArrays, the arrays a spilled run is written into, again at each spill: a
   * mapper that writes its runs away makes no garbage of them (the collector let a 512 MiB
   * range's runs pile up to 40 MB past what it held).
   */
  private readonly reuseSpillArrays: boolean;
  /**
   * Where the spill arrays are, when not the counter's own: a mapper that encodes its runs lends
   * the sections of its encode buffer, so that a run is written once, in place (set per range).
   */
  spillArrays: SpillArrays | undefined;
  private spillKeys = new Uint8Array(0);
  private spillEnds = new Uint32Array(0);
  private spillCounts = new Uint32Array(0);

  /**
   * `expectedKeys` sizes the table up front, saving the rehashes of growing to it; the table
   * never exceeds `maxSlots` (a power of two) slots. With `reuseSpillArrays`, the first run
   * takeSpilledRuns returns lives in arrays the counter writes its next spill into: for a caller
   * that writes each run away before it counts on.
   */
  constructor(expectedKeys = 0, maxSlots = MAX_TABLE_SLOTS, { reuseSpillArrays = false } = {}) {
    this.reuseSpillArrays = reuseSpillArrays;
    if (!Number.isInteger(Math.log2(maxSlots)) || maxSlots < 4) {
      throw new RangeError(`maxSlots must be a power of two of at least 4, not ${maxSlots}`);
    }
    this.maxSlots = maxSlots;
    let slotCount = Math.min(INITIAL_SLOTS, maxSlots);
    while (slotCount * 3 < expectedKeys * 4 && slotCount < maxSlots) slotCount *= 2;
    this.slots = new Int32Array(slotCount * SLOT_WORDS);
    this.counts = new Float64Array(slotCount);
    this.mask = slotCount - 1;
  }

  /** Adds `count` (default one) to the count of bytes[start, end). */
  add(bytes: Uint8Array, start: number, end: number, count = 1): void {
    const length = end - start;
    if (length > INLINE_BYTES) {
      this.addLong(bytes, start, end, count);
      return;
    }
    let w0: number;
    let w1: number;
    let w2: number;
    let w3: number;
    if (start + SLOT_WORDS * 4 <= bytes.length) {
      // Sixteen bytes can be read from the key's start (in a line, the rest of the record
      // follows it): four whole words, the bytes past the key masked off.
      const view = this.views.of(bytes);
      const keep = length * SLOT_WORDS;
      w0 = view.getInt32(start, true) & KEEP_BYTES[keep]!;
      w1 = view.getInt32(start + 4, true) & KEEP_BYTES[keep + 1]!;
      w2 = view.getInt32(start + 8, true) & KEEP_BYTES[keep + 2]!;
      w3 = view.getInt32(start + 12, true) & KEEP_BYTES[keep + 3]!;
    } else {
      w0 = wordAt(bytes, start, end);
      w1 = wordAt(bytes, start + 4, end);
      w2 = wordAt(bytes, start + 8, end);
      w3 = wordAt(bytes, start + 12, end);
    }
    const at = this.pendingKeys * PENDING_INTS;
    const pending = this.pending;
    pending[at] = inlineKeyHash(w0, w1, w2, w3, length);
    pending[at + 1] = w0;
    pending[at + 2] = w1;
    pending[at + 3] = w2;
    pending[at + 4] = w3 | ((length + 1) << TAG_SHIFT);
    this.pendingCounts[this.pendingKeys] = count;
    if (++this.pendingKeys === PENDING_KEYS) this.flush();
  }

  /**
   * Counts the pending keys. Their lookups are independent, so the CPU overlaps their cache
   * misses (a cold slot is a trip to memory); one lookup per record, between the rest of the
   * record's work, would wait for each miss in turn.
   */
  private flush(): void {
    const pending = this.pending;
    const pendingCounts = this.pendingCounts;
    for (let at = 0, k = 0; at < this.pendingKeys * PENDING_INTS; at += PENDING_INTS, k++) {
      const w0 = pending[at + 1]!;
      const w1 = pending[at + 2]!;
      const w2 = pending[at + 3]!;
      const w3 = pending[at + 4]!;
      const slots = this.slots;
      const mask = this.mask;
      for (let slot = pending[at]! & mask; ; slot = (slot + 1) & mask) {
        const s = slot * SLOT_WORDS;
        const last = slots[s + 3]!;
        if (last === 0) {
          this.claim(slot, w0, w1, w2, w3, pendingCounts[k]!);
          break;
        }
        if (last === w3 && slots[s] === w0 && slots[s + 1] === w1 && slots[s + 2] === w2) {
          this.counts[slot]! += pendingCounts[k]!;
          break;
        }
      }
    }
    this.pendingKeys = 0;
  }

  /**
   * Takes the counts out, ordered by the keys' bytes (unsigned, a prefix first): UTF-8 byte
   * order, which is code-point order and the order Spark and DuckDB compare strings in. The
   * counter is empty afterwards and ready to count again; what it returns is the caller's own.
   */
  takeSortedEntries(): IpCounts {
    this.flush();
    const last = this.takeTable();
    if (this.runs.length === 0) return last;
    const runs = [...this.runs, last];
    this.runs = [];
    return mergeSortedIpCounts(runs);
  }

  /** Runs spilled since the last take, not yet taken out by takeSpilledRuns. */
  get spilledRuns(): number {
    return this.runs.length;
  }

  /**
   * Takes out the runs spilled since the last take (each sorted as takeSortedEntries sorts,
   * each the caller's own but, with reuseSpillArrays, the first, whose arrays the next spill
   * writes into): a mapper that writes them away as they come holds one run at a time, and the
   * next takeSortedEntries returns only what was counted after them. The keys of a run and of
   * what follows may repeat: their counts add up.
   */
  takeSpilledRuns(): IpCounts[] {
    // The pending keys are counted first: a table they fill spills now, not inside the take.
    this.flush();
    const runs = this.runs;
    this.runs = [];
    return runs;
  }

  /** The most slots this counter's table grows to. */
  get tableBound(): number {
    return this.maxSlots;
  }

  /** Whether a spilled run may live in arrays the counter reuses (the constructor's option). */
  get reusesSpillArrays(): boolean {
    return this.reuseSpillArrays;
  }

  /**
   * The table's entries, sorted, and the table emptied (the pending keys are not counted): in
   * the spill arrays when `intoSpillArrays` (and every count fits 32 bits), else in fresh ones.
   */
  private takeTable(intoSpillArrays = false): IpCounts {
    if (this.arenaUsed > 0) {
      const entries = this.sortedEntriesWithLongKeys();
      this.clear();
      return entries;
    }
    // Inline keys only: copy them out compactly in table order (one pass through the table),
    // radix-sort the copies with the table as the spare arrays, write the keys out from the
    // sorted copies, in memory order, and empty the table.
    const n = this.keys;
    this.roomToSort(n);
    const slots = this.slots;
    const words = this.sortWords;
    const tableCounts = this.sortCounts;
    const most = copyInlineKeys(slots, this.counts, n, words, tableCounts);
    this.keys = 0;
    const { sorted, sortedCounts } = sortInlineKeys(words, slots, tableCounts, this.counts, n);
    if (intoSpillArrays && most <= 0xffff_ffff) {
      const run = this.intoSpillArrays(sorted, sortedCounts, n);
      slots.fill(0);
      return run;
    }
    const { keys, ends } = writeInlineKeys(sorted, n);
    // 32-bit counts, as a partial carries them, unless one is too large for that.
    const counts =
      most <= 0xffff_ffff ? Uint32Array.from(sortedCounts.subarray(0, n)) : sortedCounts.slice(0, n);
    // The tag alone marks a slot taken (a claim writes every word and the count).
    slots.fill(0);
    return { keys, ends, counts };
  }

  /** n sorted inline keys and their counts written into the spill arrays (lent, or its own). */
  private intoSpillArrays(sorted: Int32Array, sortedCounts: Float64Array, n: number): IpCounts {
    const bytes = inlineKeyBytes(sorted, n);
    const into = this.spillArrays === undefined ? this.ownSpillArrays(n, bytes) : this.spillArrays(n, bytes);
    const view = new DataView(into.keys.buffer, into.keys.byteOffset, into.keys.byteLength);
    writeKeysPadded(sorted, n, view, into.ends);
    into.counts.set(sortedCounts.subarray(0, n));
    return { keys: into.keys.subarray(0, bytes), ends: into.ends, counts: into.counts };
  }

  /** The counter's own spill arrays (SpillArrays), grown to hold n keys of `keyBytes` bytes. */
  private ownSpillArrays(n: number, keyBytes: number): ReturnType<SpillArrays> {
    if (this.spillKeys.length < keyBytes + SPILL_KEY_SLACK) {
      this.spillKeys = new Uint8Array(Math.ceil(keyBytes * 1.25) + SPILL_KEY_SLACK);
    }
    if (this.spillEnds.length < n) {
      this.spillEnds = new Uint32Array(Math.ceil(n * 1.25));
      this.spillCounts = new Uint32Array(this.spillEnds.length);
    }
    return {
      keys: this.spillKeys.subarray(0, keyBytes + SPILL_KEY_SLACK),
      ends: this.spillEnds.subarray(0, n),
      counts: this.spillCounts.subarray(0, n),
    };
  }

  /**
   * Sort arrays with room for n keys: as many as the table holds before it grows, so they are
   * made again only after the table has grown; they never shrink.
   */
  private roomToSort(n: number): void {
    if (n <= this.sortRoom) return;
    const room = Math.max(n, Math.floor(((this.mask + 1) * 3) / 4));
    this.sortRoom = room;
    this.sortWords = new Int32Array(room * SLOT_WORDS);
    this.sortCounts = new Float64Array(room);
  }

  /** Empties the counter, keeping its table at its size (long keys only: it is zeroed whole). */
  private clear(): void {
    this.slots.fill(0);
    this.keys = 0;
    this.arena = new Uint8Array(0);
    this.arenaUsed = 0;
  }

  /** takeSortedEntries when some keys live in the arena: a comparator sort on the keys' bytes. */
  private sortedEntriesWithLongKeys(): IpCounts {
    const n = this.keys;
    const slots = this.slots;
    const tableSlots = new Int32Array(n);
    for (let slot = 0, k = 0; k < n; slot++) if (slots[slot * SLOT_WORDS + 3] !== 0) tableSlots[k++] = slot;
    const order = this.anyKeyOrder(tableSlots);
    let bytes = 0;
    for (let k = 0; k < n; k++) bytes += keyLength(slots, tableSlots[k]! * SLOT_WORDS);
    const keys = new Uint8Array(bytes);
    const ends = new Uint32Array(n);
    const counts = new Float64Array(n);
    for (let i = 0, at = 0; i < n; i++) {
      const slot = tableSlots[order[i]!]!;
      at = this.copyKey(slot * SLOT_WORDS, keys, at);
      ends[i] = at;
      counts[i] = this.counts[slot]!;
    }
    return { keys, ends, counts };
  }

  /** Copies the key of the slot at word `s` to out[at...]; returns where it ends. */
  private copyKey(s: number, out: Uint8Array, at: number): number {
    const slots = this.slots;
    const tag = slots[s + 3]! >>> TAG_SHIFT;
    if (tag === LONG_KEY) {
      const length = slots[s + 1]!;
      out.set(this.arena.subarray(slots[s]!, slots[s]! + length), at);
      return at + length;
    }
    const length = tag - 1;
    for (let i = 0; i < length; i++) {
      const word = i < 12 ? slots[s + (i >> 2)]! : untagged(slots[s + 3]!);
      out[at + i] = (word >>> ((i & 3) * 8)) & 0xff;
    }
    return at + length;
  }

  /** Positions in `tableSlots` ordered by key bytes, for a table that may hold long keys. */
  private anyKeyOrder(tableSlots: Int32Array): Int32Array {
    const n = tableSlots.length;
    const starts = new Uint32Array(n);
    const ends = new Uint32Array(n);
    let bytes = 0;
    for (let k = 0; k < n; k++) bytes += keyLength(this.slots, tableSlots[k]! * SLOT_WORDS);
    const all = Buffer.allocUnsafe(bytes);
    for (let k = 0, at = 0; k < n; k++) {
      starts[k] = at;
      at = this.copyKey(tableSlots[k]! * SLOT_WORDS, all, at);
      ends[k] = at;
    }
    const order = Int32Array.from({ length: n }, (_, k) => k);
    return order.sort((a, b) => all.compare(all, starts[b], ends[b], starts[a], ends[a]));
  }

  private addLong(bytes: Uint8Array, start: number, end: number, count: number): void {
    const length = end - start;
    const hash = longKeyHash(bytes, start, end);
    const slots = this.slots;
    const mask = this.mask;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const s = slot * SLOT_WORDS;
      const tag = slots[s + 3]! >>> TAG_SHIFT;
      if (tag === 0) {
        this.claim(slot, this.store(bytes, start, end), length, hash, LONG_KEY << TAG_SHIFT, count);
        return;
      }
      if (
        tag === LONG_KEY &&
        slots[s + 1] === length &&
        slots[s + 2] === hash &&
        this.stored(slots[s]!, bytes, start, end)
      ) {
        this.counts[slot]! += count;
        return;
      }
    }
  }

  /** Whether the arena holds bytes[start, end) at `offset`. */
  private stored(offset: number, bytes: Uint8Array, start: number, end: number): boolean {
    const arena = this.arena;
    for (let i = start; i < end; i++) if (arena[offset + i - start] !== bytes[i]) return false;
    return true;
  }

  /** Appends bytes[start, end) to the arena; returns their offset. */
  private store(bytes: Uint8Array, start: number, end: number): number {
    const length = end - start;
    if (this.arenaUsed + length > this.arena.length) {
      const next = new Uint8Array(Math.max(this.arena.length * 2, this.arenaUsed + length, 1 << 16));
      next.set(this.arena.subarray(0, this.arenaUsed));
      this.arena = next;
    }
    const offset = this.arenaUsed;
    this.arena.set(bytes.subarray(start, end), offset);
    this.arenaUsed += length;
    return offset;
  }

  /** Fills the empty `slot` with a key's words and its first count. */
  private claim(slot: number, w0: number, w1: number, w2: number, w3: number, count: number): void {
    const s = slot * SLOT_WORDS;
    const slots = this.slots;
    slots[s] = w0;
    slots[s + 1] = w1;
    slots[s + 2] = w2;
    slots[s + 3] = w3;
    this.counts[slot] = count;
    this.keys++;
    if (this.keys * 4 > (this.mask + 1) * 3) {
      // A spill mid-flush is safe: flush reads the table afresh for every key, and a take
      // leaves the pending keys alone.
      if (this.mask + 1 < this.maxSlots) this.grow();
      else this.runs.push(this.takeTable(this.reuseSpillArrays && this.runs.length === 0));
    }
  }

  /** Doubles the table, moving each slot whole to its place in the new one. */
  private grow(): void {
    const old = this.slots;
    const oldCounts = this.counts;
    const slotCount = (this.mask + 1) * 2;
    const slots = new Int32Array(slotCount * SLOT_WORDS);
    const counts = new Float64Array(slotCount);
    const mask = slotCount - 1;
    for (let from = 0; from < oldCounts.length; from++) {
      const s = from * SLOT_WORDS;
      const w3 = old[s + 3]!;
      const tag = w3 >>> TAG_SHIFT;
      if (tag === 0) continue;
      const hash =
        tag === LONG_KEY
          ? old[s + 2]!
          : inlineKeyHash(old[s]!, old[s + 1]!, old[s + 2]!, untagged(w3), tag - 1);
      let slot = hash & mask;
      while (slots[slot * SLOT_WORDS + 3] !== 0) slot = (slot + 1) & mask;
      for (let w = 0; w < SLOT_WORDS; w++) slots[slot * SLOT_WORDS + w] = old[s + w]!;
      counts[slot] = oldCounts[from]!;
    }
    this.slots = slots;
    this.counts = counts;
    this.mask = mask;
  }
}

// takeSortedEntries and the sort call each loop as a function of its own, one loop a function:
// as loops of their body they were compiled on the fly (on-stack replacement) without feedback
// for the code after them, which deoptimized at every range's take (--trace-deopt) and ran the
// rest interpreted.

/**
 * Copies the n keys of a table of inline keys, in table order, to words (four a key) and their
 * counts to `counts`; returns the largest count.
 */
function copyInlineKeys(
  slots: Int32Array,
  slotCounts: Float64Array,
  n: number,
  words: Int32Array,
  counts: Float64Array,
): number {
  let most = 0;
  for (let slot = 0, k = 0; k < n; slot++) {
    const s = slot * SLOT_WORDS;
    const w3 = slots[s + 3]!;
    if (w3 === 0) continue;
    words[k * 4] = slots[s]!;
    words[k * 4 + 1] = slots[s + 1]!;
    words[k * 4 + 2] = slots[s + 2]!;
    words[k * 4 + 3] = w3;
    const count = slotCounts[slot]!;
    counts[k] = count;
    if (count > most) most = count;
    k++;
  }
  return most;
}

/** The bytes of n inline keys (four words each, tag included) back to back, and each key's end. */
function writeInlineKeys(words: Int32Array, n: number): { keys: Uint8Array; ends: Uint32Array } {
  const bytes = inlineKeyBytes(words, n);
  // Each key is written as its slot's 16 bytes, the next key overwriting what lies past its
  // end; the slack at the end takes the last key's padding.
  const padded = new Uint8Array(bytes + SLOT_WORDS * 4);
  const ends = new Uint32Array(n);
  writeKeysPadded(words, n, new DataView(padded.buffer), ends);
  return { keys: padded.subarray(0, bytes), ends };
}

/** Writes n inline keys to `out` back to back, each as its 16 bytes, and each one's end to `ends`. */
function writeKeysPadded(words: Int32Array, n: number, out: DataView, ends: Uint32Array): void {
  for (let i = 0, at = 0; i < n; i++) {
    const w3 = words[i * 4 + 3]!;
    out.setInt32(at, words[i * 4]!, true);
    out.setInt32(at + 4, words[i * 4 + 1]!, true);
    out.setInt32(at + 8, words[i * 4 + 2]!, true);
    out.setInt32(at + 12, untagged(w3), true);
    at += (w3 >>> TAG_SHIFT) - 1;
    ends[i] = at;
  }
}

/** Bytes in all of n inline keys (four words each, tag included). */
function inlineKeyBytes(words: Int32Array, n: number): number {
  let bytes = 0;
  for (let i = 0; i < n; i++) bytes += (words[i * 4 + 3]! >>> TAG_SHIFT) - 1;
  return bytes;
}

/**
 * Sorts n inline keys (their slots' four words each, tag included) by their bytes: an LSD radix
 * sort from the least significant digit, the tag (length + 1, so that a key sorts before its
 * extensions by NUL bytes, which zero padding alone would tie), to byte 0. A digit is a byte:
 * sixteen passes of 256 buckets, whose write positions stay in cache. From PAIR_SORT_KEYS keys a
 * digit is two bytes: eight passes of 65,536 buckets, of which a table of IP addresses fills a
 * few hundred (digits, dots and letters); their histograms, 2 MiB, are made once a thread and
 * zeroed for each sort, a cost only a large table repays. A digit's histogram is the same before
 * every pass, so all of them come from one read of the keys. The words move with their keys,
 * so every pass reads memory in order, and so do their counts; passes where every key has the
 * same digit are skipped. The spare arrays (room for n keys each) take the passes' writes.
 * Returns the sorted words and counts: either the inputs or the spares.
 */
function sortInlineKeys(
  words: Int32Array,
  wordsSpare: Int32Array,
  counts: Float64Array,
  countsSpare: Float64Array,
  n: number,
): { sorted: Int32Array; sortedCounts: Float64Array } {
  let wordsFrom: Int32Array = words;
  let wordsTo: Int32Array = wordsSpare;
  let countsFrom: Float64Array = counts;
  let countsTo: Float64Array = countsSpare;
  const wide = n >= PAIR_SORT_KEYS;
  const buckets = wide ? PAIR_BUCKETS : 256;
  const histograms = digitHistograms(words, n, wide);
  for (let digit = (wide ? PAIR_DIGITS : INLINE_BYTES + 1) - 1; digit >= 0; digit--) {
    const bucketStart = histograms.subarray(digit * buckets, (digit + 1) * buckets);
    if (n === 0 || bucketStart[digitOf(wordsFrom, 0, digit, wide)] === n) continue;
    bucketStarts(bucketStart);
    scatterByDigit(wordsFrom, countsFrom, wordsTo, countsTo, n, digit, wide, bucketStart);
    const words = wordsFrom;
    wordsFrom = wordsTo;
    wordsTo = words;
    const counts = countsFrom;
    countsFrom = countsTo;
    countsTo = counts;
  }
  return { sorted: wordsFrom, sortedCounts: countsFrom };
}

/** Keys from which the sort takes two bytes a digit. */
export const PAIR_SORT_KEYS = 16_384;
const PAIR_DIGITS = 8;
const PAIR_BUCKETS = 1 << 16;
/** The histograms of sorts two bytes a digit, made at the first such sort on this thread. */
let pairHistograms: Int32Array | undefined;

// The sort's loops are functions of their own, each optimized whole once it has run. Inline in
// sortInlineKeys, the loops were compiled on the fly (on-stack replacement) without feedback
// for the code after them, and the first ranges paid for the deoptimizations: sorting a
// mapper's first 64 MiB range took 220-250 ms that way, 105 ms this way (35 ms once warm).

/**
 * Histograms of every digit of the n keys, one byte or (`wide`) two a digit: [digit * buckets
 * + d] is how many have d at `digit`.
 */
function digitHistograms(words: Int32Array, n: number, wide: boolean): Int32Array {
  if (wide) {
    pairHistograms ??= new Int32Array(PAIR_DIGITS * PAIR_BUCKETS);
    const histograms = pairHistograms.fill(0);
    for (let i = 0; i < n * SLOT_WORDS; i++) {
      const word = words[i]!;
      const at = (i & 3) * 2 * PAIR_BUCKETS;
      histograms[at + (((word & 0xff) << 8) | ((word >>> 8) & 0xff))]!++;
      histograms[at + PAIR_BUCKETS + (((word >>> 8) & 0xff00) | (word >>> 24))]!++;
    }
    return histograms;
  }
  const histograms = new Int32Array(SLOT_WORDS * 4 * 256);
  for (let i = 0; i < n * SLOT_WORDS; i++) {
    const word = words[i]!;
    const at = (i & 3) * 4 * 256;
    histograms[at + (word & 0xff)]!++;
    histograms[at + 256 + ((word >>> 8) & 0xff)]!++;
    histograms[at + 512 + ((word >>> 16) & 0xff)]!++;
    histograms[at + 768 + (word >>> 24)]!++;
  }
  return histograms;
}

/** Turns a histogram into where each bucket starts (the sum of the buckets before it). */
function bucketStarts(histogram: Int32Array): void {
  for (let d = 0, sum = 0; d < histogram.length; d++) {
    const inBucket = histogram[d]!;
    histogram[d] = sum;
    sum += inBucket;
  }
}

/** Moves each key (its words and count) to the next place of its digit's bucket. */
function scatterByDigit(
  wordsFrom: Int32Array,
  countsFrom: Float64Array,
  wordsTo: Int32Array,
  countsTo: Float64Array,
  n: number,
  digit: number,
  wide: boolean,
  bucketStart: Int32Array,
): void {
  for (let i = 0; i < n; i++) {
    const j = bucketStart[digitOf(wordsFrom, i, digit, wide)]!++;
    countsTo[j] = countsFrom[i]!;
    wordsTo[j * 4] = wordsFrom[i * 4]!;
    wordsTo[j * 4 + 1] = wordsFrom[i * 4 + 1]!;
    wordsTo[j * 4 + 2] = wordsFrom[i * 4 + 2]!;
    wordsTo[j * 4 + 3] = wordsFrom[i * 4 + 3]!;
  }
}

/**
 * Radix digit `digit` of key k. One byte a digit: digit 15 (INLINE_BYTES) is the tag, length + 1,
 * the least significant; digit b < 15 is the key's byte b. Two bytes a digit (`wide`): bytes
 * 2 * digit (the more significant) and 2 * digit + 1, the tag being byte 15.
 */
function digitOf(words: Int32Array, k: number, digit: number, wide: boolean): number {
  if (!wide) return (words[k * 4 + (digit >> 2)]! >>> ((digit & 3) * 8)) & 0xff;
  const word = words[k * 4 + (digit >> 1)]!;
  return digit & 1 ? ((word >>> 8) & 0xff00) | (word >>> 24) : ((word & 0xff) << 8) | ((word >>> 8) & 0xff);
}

/** Length of the key in the slot at word `s` (0 for an empty slot). */
function keyLength(slots: Int32Array, s: number): number {
  const tag = slots[s + 3]! >>> TAG_SHIFT;
  if (tag === 0) return 0;
  return tag === LONG_KEY ? slots[s + 1]! : tag - 1;
}

/** Word 3 of an inline key's slot without its tag. */
function untagged(w3: number): number {
  return w3 & ~(0xff << TAG_SHIFT);
}

/** Bytes [p, min(p + 4, end)) as a little-endian word, zero-padded (0 when p >= end). */
function wordAt(b: Uint8Array, p: number, end: number): number {
  if (p + 4 <= end) return b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24);
  let w = 0;
  for (let i = end - 1; i >= p; i--) w = (w << 8) | b[i]!;
  return w;
}

/** murmur3_32 of an inline key from its four words (tag excluded) and length. */
function inlineKeyHash(w0: number, w1: number, w2: number, w3: number, length: number): number {
  return finish(mix(mix(mix(mix(0, w0), w1), w2), w3), length);
}

/** murmur3_32 of bytes[start, end), a word at a time. */
function longKeyHash(bytes: Uint8Array, start: number, end: number): number {
  let h = 0;
  for (let p = start; p < end; p += 4) h = mix(h, wordAt(bytes, p, end));
  return finish(h, end - start);
}

/** murmur3's block step: mixes one word into the hash. */
function mix(h: number, word: number): number {
  let k = Math.imul(word, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** murmur3's finaliser: folds in the length and avalanches, so the low bits (the slot) are good. */
function finish(h: number, length: number): number {
  return fmix32(h ^ length) | 0;
}
