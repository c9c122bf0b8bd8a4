/**
 * Merges IP counts that each arrive sorted by key bytes: a k-way merge through a loser tree over
 * the inputs' cursors. Every mapper sorts its own range's counts (on its own core), so the
 * reducer does no hashing and no sort: it reads each input once, in order, and writes the merged
 * counts in order. Equal keys from different inputs are summed.
 *
 * Keys compare as four 32-bit sort words, computed from the key's bytes when the merge's cursor
 * reaches it, never stored: an input is kept as it came, views of its partial's buffer, so the
 * merge touches no fresh memory for its inputs (on a VM a first touch costs a page fault per
 * 4 KiB), and reads each input once, checking its order as it goes. The words are bytes 0-3, 4-7 and
 * 8-11 big-endian, then bytes 12-14 with the key's length (capped at 16) in the low byte, each
 * with its sign bit flipped so that signed comparison is unsigned byte order. For keys
 * of up to 15 bytes (every IPv4 address, EDGAR's masked ones included) the words decide, a key
 * before its extensions by NUL bytes included, and the words are the key: the merged keys are
 * written back from them. Two longer keys with equal words compare by their bytes.
 */
import type { IpCounts } from "./aggregate";
import { ContractError } from "./errors";

const WORDS = 4;
const SIGN = 0x8000_0000 | 0;
/** The length byte of a key longer than 15 bytes: its words hold its first 15 bytes only. */
const LONG = 16;

/** Sort words of a cursor past its input's end: greater than every key's (no length byte is 0xff). */
const EXHAUSTED = 0x7fff_ffff;

/** One added input, as it came, with a view for reading its keys a word at a time. */
interface SortedInput {
  readonly part: IpCounts;
  readonly view: DataView;
  readonly label: string;
}

/**
 * Sorted IP counts added one input at a time, merged at once by result(), which checks each
 * input to be in order as it reads it.
 */
export class SortedIpMerge {
  private readonly inputs: SortedInput[] = [];
  private entries = 0;
  private keyBytes = 0;
  /** The inputs' counts summed: no merged count can exceed it. */
  private countTotal = 0;

  /** Adds one input, as it is: nothing is read from it until result(). */
  add(part: IpCounts, label: string): void {
    const n = part.ends.length;
    if (n === 0) return;
    const { keys } = part;
    this.inputs.push({ part, view: new DataView(keys.buffer, keys.byteOffset, keys.byteLength), label });
    this.entries += n;
    this.keyBytes += keys.length;
    const { counts } = part;
    let total = 0;
    for (let i = 0; i < n; i++) total += counts[i]!;
    this.countTotal += total;
  }

  /**
   * The counts of every input merged: sorted by key bytes (unsigned, a prefix first), each key
   * once; call once, after the last add (the inputs are let go). A loser tree over the inputs'
   * cursors: each entry taken costs log2(inputs) compares of the cursors' current words, which
   * sit side by side in one small array. As a cursor moves on, its next key is checked to come
   * after the one it leaves: throws a ContractError naming the input if one is not strictly
   * ascending (a merge of unsorted counts would count a key twice).
   */
  result(): IpCounts {
    const cursors = openCursors(this.inputs);
    const { words, at, tree } = cursors;
    const leaves = at.length;
    const countsOf = cursors.counts;
    const out = new MergedCounts(this.entries, this.keyBytes, this.countTotal <= 0xffff_ffff);
    let l0 = 0;
    let l1 = 0;
    let l2 = 0;
    let l3 = 0;
    let lastInput = -1;
    let lastEntry = -1;
    for (let taken = 0, entries = this.entries; taken < entries; taken++) {
      let p = tree[0]!;
      const c = p * WORDS;
      const w0 = words[c]!;
      const w1 = words[c + 1]!;
      const w2 = words[c + 2]!;
      const w3 = words[c + 3]!;
      const long = ((w3 ^ SIGN) & 0xff) === LONG;
      const entry = at[p]!;
      const count = countsOf[p]![entry]!;
      if (
        w0 === l0 &&
        w1 === l1 &&
        w2 === l2 &&
        w3 === l3 &&
        lastInput >= 0 &&
        (!long || compareLong(cursors, p, entry, lastInput, lastEntry) === 0)
      ) {
        out.addToLast(count);
      } else {
        if (long) out.pushBytes(longKey(cursors, p, entry), count);
        else out.pushWords(w0, w1, w2, w3, count);
        l0 = w0;
        l1 = w1;
        l2 = w2;
        l3 = w3;
        lastInput = p;
        lastEntry = entry;
      }
      at[p] = entry + 1;
      loadCursor(cursors, p);
      const order = compareTo(words, c, w0, w1, w2, w3);
      if (order <= 0 && (order < 0 || !(long && compareLong(cursors, p, entry + 1, p, entry) > 0))) {
        throw new ContractError(
          `IP counts of ${this.inputs[p]!.label} are not in strictly ascending byte order at entry ${entry + 1}: rerun the execution with one deployed version`,
        );
      }
      for (let node = (p + leaves) >> 1; node >= 1; node >>= 1) {
        const loser = tree[node]!;
        if (cursorBefore(cursors, loser, p)) {
          tree[node] = p;
          p = loser;
        }
      }
      tree[0] = p;
    }
    // The inputs are spent: let them go before the caller builds tables from the output.
    this.inputs.length = 0;
    this.entries = 0;
    this.keyBytes = 0;
    this.countTotal = 0;
    return out.result();
  }
}

/**
 * The merge's state: per leaf of the loser tree (the inputs, then empty leaves up to a power
 * of two), its input's arrays, its cursor's entry and the sort words of the key there; and the
 * tree. The arrays are the state's own fields, so the merge loop reads them without going
 * through each input's object.
 */
interface Cursors {
  /** Sort words of each cursor's key, WORDS a leaf; EXHAUSTED past its input's end. */
  readonly words: Int32Array;
  /** Each cursor's entry. */
  readonly at: Int32Array;
  /** Each input's entries (0 for an empty leaf). */
  readonly lengths: Int32Array;
  readonly keys: readonly Uint8Array[];
  readonly views: readonly DataView[];
  readonly ends: readonly Uint32Array[];
  readonly counts: readonly (Float64Array | Uint32Array)[];
  /** Each input's name in an error. */
  readonly labels: readonly string[];
  /** tree[0]: the least cursor; tree[node]: the loser of the match at that node. */
  readonly tree: Int32Array;
}

/** Cursors at the first entry of each input, and the loser tree over them played once. */
function openCursors(inputs: readonly SortedInput[]): Cursors {
  let leaves = 1;
  while (leaves < inputs.length) leaves *= 2;
  const none = new Uint8Array(0);
  const cursors: Cursors = {
    words: new Int32Array(leaves * WORDS).fill(EXHAUSTED),
    at: new Int32Array(leaves),
    lengths: Int32Array.from({ length: leaves }, (_, p) => inputs[p]?.part.ends.length ?? 0),
    keys: Array.from({ length: leaves }, (_, p) => inputs[p]?.part.keys ?? none),
    views: Array.from({ length: leaves }, (_, p) => inputs[p]?.view ?? new DataView(none.buffer)),
    ends: Array.from({ length: leaves }, (_, p) => inputs[p]?.part.ends ?? new Uint32Array(0)),
    counts: Array.from({ length: leaves }, (_, p) => inputs[p]?.part.counts ?? new Uint32Array(0)),
    labels: Array.from({ length: leaves }, (_, p) => inputs[p]?.label ?? ""),
    tree: new Int32Array(leaves),
  };
  for (let p = 0; p < inputs.length; p++) loadCursor(cursors, p);
  const { tree } = cursors;
  const winners = new Int32Array(2 * leaves);
  for (let p = 0; p < leaves; p++) winners[leaves + p] = p;
  for (let node = leaves - 1; node >= 1; node--) {
    const l = winners[2 * node]!;
    const r = winners[2 * node + 1]!;
    const rightWins = cursorBefore(cursors, r, l);
    winners[node] = rightWins ? r : l;
    tree[node] = rightWins ? l : r;
  }
  tree[0] = winners[1] ?? 0;
  return cursors;
}

/** Key `entry` of input p, as a view of its bytes. */
function longKey(cursors: Cursors, p: number, entry: number): Uint8Array {
  const ends = cursors.ends[p]!;
  return cursors.keys[p]!.subarray(entry === 0 ? 0 : ends[entry - 1], ends[entry]);
}

/** Two long keys with equal words, entry ea of input a and eb of input b, by their bytes. */
function compareLong(cursors: Cursors, a: number, ea: number, b: number, eb: number): number {
  const ka = longKey(cursors, a, ea);
  const kb = longKey(cursors, b, eb);
  return compareTails(ka, 0, ka.length, kb, 0, kb.length);
}

/**
 * The merge's output, appended in order. Its arrays are sized for the most there can be: every
 * input entry a distinct key, every input key byte written out once (and the 16 bytes a key's
 * words are written as, past the last key); its counts are 32-bit when the inputs' counts sum
 * to no more than 2^32 - 1 (every run of fewer rows), as the partials carry them. Large typed arrays are mapped lazily, so only the
 * pages the merged keys fill are ever touched, and the arrays never grow and copy.
 */
class MergedCounts {
  private readonly keys: Uint8Array;
  private readonly view: DataView;
  private readonly ends: Uint32Array;
  private readonly counts: Uint32Array | Float64Array;
  private n = 0;
  private bytes = 0;

  /** `counts32`: whether every count fits 32 bits (the inputs' counts sum to no more). */
  constructor(entries: number, keyBytes: number, counts32: boolean) {
    this.ends = new Uint32Array(entries);
    this.counts = counts32 ? new Uint32Array(entries) : new Float64Array(entries);
    this.keys = new Uint8Array(keyBytes + 16);
    this.view = new DataView(this.keys.buffer);
  }

  /**
   * A key of up to 15 bytes from its sort words. All 16 bytes of the words are written; the
   * next key overwrites what lies past this one's end.
   */
  pushWords(w0: number, w1: number, w2: number, w3: number, count: number): void {
    const view = this.view;
    const at = this.bytes;
    view.setInt32(at, w0 ^ SIGN);
    view.setInt32(at + 4, w1 ^ SIGN);
    view.setInt32(at + 8, w2 ^ SIGN);
    view.setInt32(at + 12, w3 ^ SIGN);
    this.end(at + ((w3 ^ SIGN) & 0xff), count);
  }

  pushBytes(key: Uint8Array, count: number): void {
    this.keys.set(key, this.bytes);
    this.end(this.bytes + key.length, count);
  }

  addToLast(count: number): void {
    this.counts[this.n - 1]! += count;
  }

  /** Views of the arrays, not copies: fresh memory costs more than the unused tail it saves. */
  result(): IpCounts {
    return {
      keys: this.keys.subarray(0, this.bytes),
      ends: this.ends.subarray(0, this.n),
      counts: this.counts.subarray(0, this.n),
    };
  }

  private end(at: number, count: number): void {
    this.bytes = at;
    this.ends[this.n] = at;
    this.counts[this.n] = count;
    this.n++;
  }
}

/** mergeSortedIpCounts of all `parts` at once; `labels[i]` names part i in an error. */
export function mergeSortedIpCounts(parts: readonly IpCounts[], labels?: readonly string[]): IpCounts {
  const merge = new SortedIpMerge();
  for (const [i, p] of parts.entries()) merge.add(p, labels?.[i] ?? `input ${i + 1} of ${parts.length}`);
  return merge.result();
}

/**
 * WORD_MASKS[4 * n + j]: the bits of sort word j that hold bytes of an n-byte key (n <= 15); in
 * word 3 the low byte, the length, is never key bytes.
 */
const WORD_MASKS = Int32Array.from({ length: 16 * WORDS }, (_, i) => {
  const n = i >> 2;
  const j = i & 3;
  const valid = Math.max(0, Math.min(n - 4 * j, j === 3 ? 3 : 4));
  return valid === 0 ? 0 : valid === 4 ? -1 : -1 << (8 * (4 - valid));
});

/**
 * Writes the sort words of key bytes[s, e) to words[w...].
 * `view` views the same bytes as `b`: four big-endian reads and masks when 16 bytes are there.
 */
function keyWords(b: Uint8Array, view: DataView, s: number, e: number, words: Int32Array, w: number): void {
  const length = e - s;
  const n = Math.min(length, 15);
  const m = n * WORDS;
  if (s + 16 <= b.length) {
    words[w] = (view.getInt32(s) & WORD_MASKS[m]!) ^ SIGN;
    words[w + 1] = (view.getInt32(s + 4) & WORD_MASKS[m + 1]!) ^ SIGN;
    words[w + 2] = (view.getInt32(s + 8) & WORD_MASKS[m + 2]!) ^ SIGN;
    words[w + 3] = ((view.getInt32(s + 12) & WORD_MASKS[m + 3]!) | (length > 15 ? LONG : length)) ^ SIGN;
    return;
  }
  for (let j = 0; j < WORDS; j++) {
    let word = 0;
    for (let i = 0; i < 4; i++) {
      const p = s + 4 * j + i;
      word = (word << 8) | (p < s + n ? b[p]! : 0);
    }
    words[w + j] = j === 3 ? ((word & ~0xff) | (length > 15 ? LONG : length)) ^ SIGN : word ^ SIGN;
  }
}

/**
 * Points cursor p's words at its input's entry at[p], or past every key at the input's end.
 * The merge's helpers are functions of the module, not closures made per merge: a fresh closure
 * is a new call target, and code optimized with the last one inlined would deoptimize on it.
 */
function loadCursor(cursors: Cursors, p: number): void {
  const entry = cursors.at[p]!;
  const words = cursors.words;
  const c = p * WORDS;
  if (entry === cursors.lengths[p]) {
    words[c] = EXHAUSTED;
    words[c + 1] = EXHAUSTED;
    words[c + 2] = EXHAUSTED;
    words[c + 3] = EXHAUSTED;
    return;
  }
  const ends = cursors.ends[p]!;
  const start = entry === 0 ? 0 : ends[entry - 1]!;
  const end = ends[entry]!;
  // A key cannot end before it starts: ends that go backwards would cut every key after wrong.
  if (end < start)
    throw new ContractError(
      `IP counts of ${cursors.labels[p]} have key ends out of order at entry ${entry}: rerun the execution with one deployed version`,
    );
  keyWords(cursors.keys[p]!, cursors.views[p]!, start, end, words, c);
}

/**
 * Whether cursor a's key comes before cursor b's: by their sort words, then, for two long keys
 * with equal words, by their bytes.
 */
function cursorBefore(cursors: Cursors, a: number, b: number): boolean {
  const words = cursors.words;
  const ca = a * WORDS;
  const cb = b * WORDS;
  let x = words[ca]!;
  let y = words[cb]!;
  if (x !== y) return x < y;
  x = words[ca + 1]!;
  y = words[cb + 1]!;
  if (x !== y) return x < y;
  x = words[ca + 2]!;
  y = words[cb + 2]!;
  if (x !== y) return x < y;
  x = words[ca + 3]!;
  y = words[cb + 3]!;
  if (x !== y) return x < y;
  return ((x ^ SIGN) & 0xff) === LONG && compareLong(cursors, a, cursors.at[a]!, b, cursors.at[b]!) < 0;
}

/** The words at words[w...] against w0-w3: negative, zero or positive. */
function compareTo(words: Int32Array, w: number, w0: number, w1: number, w2: number, w3: number): number {
  if (words[w] !== w0) return words[w]! < w0 ? -1 : 1;
  if (words[w + 1] !== w1) return words[w + 1]! < w1 ? -1 : 1;
  if (words[w + 2] !== w2) return words[w + 2]! < w2 ? -1 : 1;
  if (words[w + 3] !== w3) return words[w + 3]! < w3 ? -1 : 1;
  return 0;
}

/** Two keys longer than 15 bytes whose first 15 bytes are equal, by their bytes from the 16th. */
function compareTails(a: Uint8Array, as: number, ae: number, b: Uint8Array, bs: number, be: number): number {
  for (let i = 15; ; i++) {
    const aDone = as + i >= ae;
    const bDone = bs + i >= be;
    if (aDone || bDone) return aDone === bDone ? 0 : aDone ? -1 : 1;
    if (a[as + i] !== b[bs + i]) return a[as + i]! < b[bs + i]! ? -1 : 1;
  }
}
