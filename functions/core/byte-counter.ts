/**
 * Counts occurrences of byte strings (IP addresses) without making a JS string per record.
 *
 * An open-addressing hash table with linear probing, at most three quarters full. A slot is 16
 * bytes: a key of up to 15 bytes (every IPv4 address, EDGAR's masked ones included) is stored in
 * it, so a lookup reads one slot and the table stays small enough to keep much of it in cache.
 * A longer key lives in a byte arena, its slot holding where. Counts are in a parallel array.
 * Strings are built once per distinct key, when the counts are read out.
 */
import { compareStrings } from "./aggregate";

/**
 * A slot is four int32 words. An inline key's bytes fill bytes 0-14 little-endian, zero-padded;
 * byte 15 (the top byte of word 3) is the tag: the key's length + 1, so 0 marks an empty slot.
 * A long key's slot holds its arena offset, length and hash in words 0-2 and the tag LONG_KEY.
 */
const SLOT_WORDS = 4;
const SLOT_BYTES = SLOT_WORDS * 4;
const INLINE_BYTES = 15;
const LONG_KEY = 0xff;
const TAG_SHIFT = 24;
const INITIAL_SLOTS = 1 << 11;
/** Inline keys wait in a batch of this many (hash, then the four words of their slot) to be counted. */
const PENDING_KEYS = 64;
const PENDING_INTS = 5;

export class ByteCounter {
  private slots = new Int32Array(INITIAL_SLOTS * SLOT_WORDS);
  private counts = new Float64Array(INITIAL_SLOTS);
  private mask = INITIAL_SLOTS - 1;
  private keys = 0;
  /** Keys longer than INLINE_BYTES, back to back. */
  private arena = new Uint8Array(0);
  private arenaUsed = 0;
  /** Every key so far is inline and ASCII without NUL: see sortedAsciiEntries. */
  private sortableAsBytes = true;
  private readonly pending = new Int32Array(PENDING_KEYS * PENDING_INTS);
  private pendingKeys = 0;

  /** Adds one to the count of bytes[start, end). */
  add(bytes: Uint8Array, start: number, end: number): void {
    const length = end - start;
    if (length > INLINE_BYTES) {
      this.addLong(bytes, start, end);
      return;
    }
    const w0 = wordAt(bytes, start, end);
    const w1 = wordAt(bytes, start + 4, end);
    const w2 = wordAt(bytes, start + 8, end);
    const w3 = wordAt(bytes, start + 12, end);
    const at = this.pendingKeys * PENDING_INTS;
    const pending = this.pending;
    pending[at] = inlineKeyHash(w0, w1, w2, w3, length);
    pending[at + 1] = w0;
    pending[at + 2] = w1;
    pending[at + 3] = w2;
    pending[at + 4] = w3 | ((length + 1) << TAG_SHIFT);
    if (++this.pendingKeys === PENDING_KEYS) this.flush();
  }

  /**
   * Counts the pending keys. Their lookups are independent, so the CPU overlaps their cache
   * misses (a cold slot is a trip to memory); one lookup per record, between the rest of the
   * record's work, would wait for each miss in turn.
   */
  private flush(): void {
    const pending = this.pending;
    for (let at = 0; at < this.pendingKeys * PENDING_INTS; at += PENDING_INTS) {
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
          this.claim(slot, w0, w1, w2, w3);
          if (!asciiWithoutNul(w0, w1, w2, w3)) this.sortableAsBytes = false;
          break;
        }
        if (last === w3 && slots[s] === w0 && slots[s + 1] === w1 && slots[s + 2] === w2) {
          this.counts[slot]!++;
          break;
        }
      }
    }
    this.pendingKeys = 0;
  }

  /**
   * The counts, keys decoded as UTF-8, ordered by the keys' code units (compareStrings): the
   * order an aggregate keeps its ip counts in.
   */
  sortedEntries(): { keys: string[]; counts: number[] } {
    this.flush();
    // Copy the entries out in table order, one pass through memory; sort the copies.
    const n = this.keys;
    const tags = new Int32Array(n);
    const words = new Int32Array(n * SLOT_WORDS);
    const counts = new Float64Array(n);
    const slots = this.slots;
    for (let slot = 0, k = 0; k < n; slot++) {
      const s = slot * SLOT_WORDS;
      const tag = slots[s + 3]! >>> TAG_SHIFT;
      if (tag === 0) continue;
      tags[k] = tag;
      words[k * 4] = slots[s]!;
      words[k * 4 + 1] = slots[s + 1]!;
      words[k * 4 + 2] = slots[s + 2]!;
      words[k * 4 + 3] = untagged(slots[s + 3]!);
      counts[k] = this.counts[slot]!;
      k++;
    }
    if (this.sortableAsBytes) return sortedAsciiEntries(tags, words, counts);
    const keys = Array.from(tags, (tag, k) => this.keyString(tag, words, k));
    const order = keys.map((_, k) => k).sort((a, b) => compareStrings(keys[a]!, keys[b]!));
    return { keys: order.map((k) => keys[k]!), counts: order.map((k) => counts[k]!) };
  }

  /** Entry k's key, from its tag and words as sortedEntries copied them. */
  private keyString(tag: number, words: Int32Array, k: number): string {
    if (tag === LONG_KEY) {
      const offset = this.arena.byteOffset + words[k * 4]!;
      return Buffer.from(this.arena.buffer, offset, words[k * 4 + 1]!).toString("utf8");
    }
    const bytes = Buffer.allocUnsafe(tag - 1);
    for (let i = 0; i < bytes.length; i++) bytes[i] = words[k * 4 + (i >> 2)]! >>> ((i & 3) * 8);
    return bytes.toString("utf8");
  }

  private addLong(bytes: Uint8Array, start: number, end: number): void {
    const length = end - start;
    const hash = longKeyHash(bytes, start, end);
    const slots = this.slots;
    const mask = this.mask;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const s = slot * SLOT_WORDS;
      const tag = slots[s + 3]! >>> TAG_SHIFT;
      if (tag === 0) {
        this.claim(slot, this.store(bytes, start, end), length, hash, LONG_KEY << TAG_SHIFT);
        this.sortableAsBytes = false;
        return;
      }
      if (
        tag === LONG_KEY &&
        slots[s + 1] === length &&
        slots[s + 2] === hash &&
        this.stored(slots[s]!, bytes, start, end)
      ) {
        this.counts[slot]!++;
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

  /** Fills the empty `slot` with a key's words, counted once. */
  private claim(slot: number, w0: number, w1: number, w2: number, w3: number): void {
    const s = slot * SLOT_WORDS;
    const slots = this.slots;
    slots[s] = w0;
    slots[s + 1] = w1;
    slots[s + 2] = w2;
    slots[s + 3] = w3;
    this.counts[slot] = 1;
    this.keys++;
    if (this.keys * 4 > (this.mask + 1) * 3) this.grow();
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

/**
 * Entries whose keys are inline and ASCII without NUL, sorted: then byte order is code-unit
 * order, and a key's zero padding sorts it before its extensions. An LSD radix sort on pairs of
 * bytes (7 bits each: ASCII), from the last pair, moving each key's words with it so that a pass
 * reads memory in order.
 */
function sortedAsciiEntries(
  tags: Int32Array,
  words: Int32Array,
  counts: Float64Array,
): { keys: string[]; counts: number[] } {
  const n = tags.length;
  let order: Int32Array = new Int32Array(n);
  for (let k = 0; k < n; k++) order[k] = k;
  let orderTo: Int32Array = new Int32Array(n);
  let wordsFrom = words;
  let wordsTo: Int32Array = new Int32Array(n * SLOT_WORDS);
  const bucketStart = new Int32Array(1 << 14);
  // Bytes 2 * pair and 2 * pair + 1 of each key, the first more significant.
  const digitOf = (word: number, pair: number) => {
    const bytes = (word >>> ((pair & 1) * 16)) & 0xffff;
    return ((bytes & 0x7f) << 7) | (bytes >>> 8);
  };
  for (let pair = SLOT_WORDS * 2 - 1; pair >= 0; pair--) {
    const word = pair >> 1;
    bucketStart.fill(0);
    for (let i = 0; i < n; i++) bucketStart[digitOf(wordsFrom[i * 4 + word]!, pair)]!++;
    if (n === 0 || bucketStart[digitOf(wordsFrom[word]!, pair)] === n) continue; // one value: in order
    for (let d = 0, sum = 0; d < bucketStart.length; d++) {
      const inBucket = bucketStart[d]!;
      bucketStart[d] = sum;
      sum += inBucket;
    }
    for (let i = 0; i < n; i++) {
      const j = bucketStart[digitOf(wordsFrom[i * 4 + word]!, pair)]!++;
      orderTo[j] = order[i]!;
      for (let w = 0; w < 4; w++) wordsTo[j * 4 + w] = wordsFrom[i * 4 + w]!;
    }
    [order, orderTo] = [orderTo, order];
    [wordsFrom, wordsTo] = [wordsTo, wordsFrom];
  }
  // The sorted keys' bytes, each zero-padded to SLOT_BYTES, decoded once as latin1 (which reads
  // ASCII as UTF-8 would, but faster): each key is a slice of that string, far cheaper than a
  // decode per key.
  const bytes = Buffer.allocUnsafe(n * SLOT_BYTES);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let w = 0; w < n * 4; w++) view.setInt32(w * 4, wordsFrom[w]!, true);
  const text = bytes.toString("latin1");
  const keys: string[] = new Array(n);
  const sortedCounts: number[] = new Array(n);
  for (let i = 0; i < n; i++) {
    keys[i] = text.slice(i * SLOT_BYTES, i * SLOT_BYTES + tags[order[i]!]! - 1);
    sortedCounts[i] = counts[order[i]!]!;
  }
  return { keys, counts: sortedCounts };
}

/** Word 3 of an inline key's slot without its tag. */
function untagged(w3: number): number {
  return w3 & ~(0xff << TAG_SHIFT);
}

/** Whether an inline key (its slot's four words) is ASCII and has no NUL byte. */
function asciiWithoutNul(w0: number, w1: number, w2: number, tagged: number): boolean {
  const w3 = untagged(tagged);
  if ((w0 | w1 | w2 | w3) & 0x80808080) return false;
  const length = (tagged >>> TAG_SHIFT) - 1;
  for (let b = 0; b < length; b++) {
    const word = b < 4 ? w0 : b < 8 ? w1 : b < 12 ? w2 : w3;
    if (((word >>> ((b & 3) * 8)) & 0xff) === 0) return false;
  }
  return true;
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
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
