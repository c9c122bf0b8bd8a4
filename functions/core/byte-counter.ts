/**
 * Counts occurrences of byte strings (IP addresses) without making a JS string per record:
 * an open-addressing hash table whose keys live in one growing byte arena. Strings are built
 * once per distinct key, when the counts are read out.
 */
export class ByteCounter {
  private arena = new Uint8Array(1 << 16);
  private arenaUsed = 0;
  private keyStart = new Int32Array(1 << 10);
  private keyLength = new Int32Array(1 << 10);
  private keyHash = new Int32Array(1 << 10);
  private counts = new Float64Array(1 << 10);
  /** Slot -> key id + 1 (0 = empty). Size is a power of two, at most half full. */
  private slots = new Int32Array(1 << 11);
  private mask = (1 << 11) - 1;
  private keys = 0;

  get size(): number {
    return this.keys;
  }

  /** Adds `by` to the count of bytes[start, end). */
  add(bytes: Uint8Array, start: number, end: number, by = 1): void {
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
    const len = end - start;
    let slot = h & this.mask;
    for (;;) {
      const id1 = this.slots[slot]!;
      if (id1 === 0) break;
      const id = id1 - 1;
      if (this.keyHash[id] === h && this.keyLength[id] === len && this.sameBytes(id, bytes, start, len)) {
        this.counts[id]! += by;
        return;
      }
      slot = (slot + 1) & this.mask;
    }
    this.insert(slot, h, bytes, start, len, by);
  }

  /** The counts, keys decoded as UTF-8, in insertion order. */
  entries(): { keys: string[]; counts: number[] } {
    const keys: string[] = new Array(this.keys);
    const counts: number[] = new Array(this.keys);
    const arena = Buffer.from(this.arena.buffer, this.arena.byteOffset, this.arenaUsed);
    for (let id = 0; id < this.keys; id++) {
      const s = this.keyStart[id]!;
      keys[id] = arena.toString("utf8", s, s + this.keyLength[id]!);
      counts[id] = this.counts[id]!;
    }
    return { keys, counts };
  }

  private sameBytes(id: number, bytes: Uint8Array, start: number, len: number): boolean {
    const arena = this.arena;
    const s = this.keyStart[id]!;
    for (let i = 0; i < len; i++) if (arena[s + i] !== bytes[start + i]) return false;
    return true;
  }

  private insert(slot: number, h: number, bytes: Uint8Array, start: number, len: number, by: number): void {
    const id = this.keys;
    if (id === this.keyStart.length) this.growKeys();
    if (this.arenaUsed + len > this.arena.length) {
      const next = new Uint8Array(Math.max(this.arena.length * 2, this.arenaUsed + len));
      next.set(this.arena.subarray(0, this.arenaUsed));
      this.arena = next;
    }
    this.arena.set(bytes.subarray(start, start + len), this.arenaUsed);
    this.keyStart[id] = this.arenaUsed;
    this.keyLength[id] = len;
    this.keyHash[id] = h;
    this.counts[id] = by;
    this.arenaUsed += len;
    this.keys++;
    this.slots[slot] = id + 1;
    if (this.keys * 2 > this.slots.length) this.rehash();
  }

  private growKeys(): void {
    const n = this.keyStart.length * 2;
    const grow = <T extends Int32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.keyStart = grow(this.keyStart, (k) => new Int32Array(k));
    this.keyLength = grow(this.keyLength, (k) => new Int32Array(k));
    this.keyHash = grow(this.keyHash, (k) => new Int32Array(k));
    this.counts = grow(this.counts, (k) => new Float64Array(k));
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let id = 0; id < this.keys; id++) {
      let slot = this.keyHash[id]! & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = id + 1;
    }
    this.slots = slots;
    this.mask = mask;
  }
}
