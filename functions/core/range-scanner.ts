/**
 * Frames the records of one byte range (docs/architecture.md §2, the Hadoop rule): a record belongs
 * to the range holding its first byte. A range that does not start at dataStart begins one byte
 * early and skips through the first LF, so a record starting exactly at its start is its own; it
 * then hands on every line starting before its end, reading past the end to finish the last one.
 * Memory stays bounded: a line is copied only when it crosses a chunk, and at most
 * maxRecordBytes + 1 of it (or RAW_CLIP_BYTES, if more) are kept.
 */
import type { ByteRange } from "../contracts";
import { RAW_CLIP_BYTES } from "./aggregate";
import type { ByteSource } from "./byte-source";

export interface RangeBounds {
  /** Offset of the first record this range owns (== endedAt when it owns none). */
  readonly firstRecordAt: number;
  /** Offset just after the last record this range owns (after its LF, or the object's end). */
  readonly endedAt: number;
}

/**
 * Receives the lines: `line` gets one without its LF or CRLF: bytes[start, end) hold it, or its
 * first bytes when it is longer than maxRecordBytes (`fullLength` is then its true length
 * without CR/LF). `offset` is the position of its first byte in the object.
 */
export interface LineSink {
  line(bytes: Uint8Array, start: number, end: number, offset: number, fullLength: number): void;
}

const LF = 10;
const CR = 13;

export async function scanRange(
  source: ByteSource,
  range: ByteRange,
  dataStart: number,
  maxRecordBytes: number,
  sink: LineSink,
  /**
   * Called after each chunk; the scan awaits a promise it returns before reading on: for work
   * the lines leave to be done away from them (an IP run to write out).
   */
  betweenChunks?: () => Promise<void> | undefined,
): Promise<RangeBounds> {
  const framer = new LineFramer(sink, range.end, maxRecordBytes);
  const ownsFirstByte = range.start === dataStart;
  let skipping = !ownsFirstByte;
  let firstRecordAt = ownsFirstByte ? dataStart : -1;
  framer.lineStart = firstRecordAt;
  let chunkAt = ownsFirstByte ? dataStart : range.start - 1;
  for await (const raw of rangeAndBeyond(source, chunkAt, range.end + framer.keep + 1)) {
    const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    let from = 0;
    if (skipping) {
      // With its offset given, as the framer gives it: a call without one deoptimized the
      // framer's indexOf at every range's start (an offset that is not a small integer).
      const nl = chunk.indexOf(LF, 0);
      if (nl < 0) {
        chunkAt += chunk.length;
        continue;
      }
      skipping = false;
      firstRecordAt = chunkAt + nl + 1;
      framer.lineStart = firstRecordAt;
      if (firstRecordAt >= range.end) return { firstRecordAt, endedAt: firstRecordAt };
      from = nl + 1;
    }
    if (framer.frame(chunk, from, chunkAt)) return { firstRecordAt, endedAt: framer.lineStart };
    chunkAt += chunk.length;
    const pending = betweenChunks?.();
    if (pending !== undefined) await pending;
  }
  if (skipping) return { firstRecordAt: source.size, endedAt: source.size };
  framer.finish();
  return { firstRecordAt, endedAt: source.size };
}

/**
 * Hands on the lines of chunk after chunk to a sink, holding the start of a line that a chunk
 * leaves unfinished. One call of `frame` a chunk, and one framer a range, not a loop over the
 * whole range in scanRange: the loop is then compiled whole once it has run for a few chunks,
 * and the next range, with its own framer, starts in that code; scanRange, called once a range,
 * was compiled on the fly each time (on-stack replacement) and began each range slower.
 */
class LineFramer {
  /** Enough of a line to tell it is too long, and to quote its start in the quarantine. */
  readonly keep: number;
  /** Offset of the line being framed: the next line to hand on. */
  lineStart = -1;
  // A Buffer, as every chunk is: the sink's hot functions then see one kind of array (a
  // Uint8Array here deoptimized eight of them at the first chunk boundary, --trace-deopt).
  private carry: Buffer;
  /** Bytes of the pending line held in carry. */
  private carryLength = 0;
  /** True length of the pending line so far. */
  private pendingLength = 0;
  private pendingLastByte = -1;

  constructor(
    private readonly sink: LineSink,
    private readonly rangeEnd: number,
    maxRecordBytes: number,
  ) {
    this.keep = Math.max(maxRecordBytes + 1, RAW_CLIP_BYTES);
    this.carry = Buffer.alloc(Math.min(this.keep, 64 * 1024));
  }

  /**
   * Hands on every line of chunk[from...] (at `chunkAt` in the object) that ends in it, holds
   * the one it leaves unfinished; returns whether a line starting at or past the range's end
   * was reached, and the range is done.
   */
  frame(chunk: Buffer, from: number, chunkAt: number): boolean {
    const n = chunk.length;
    const sink = this.sink;
    let i = from;
    while (i < n) {
      const nl = chunk.indexOf(LF, i);
      if (nl < 0) {
        this.hold(chunk, i, n);
        return false;
      }
      if (this.pendingLength > 0) {
        this.hold(chunk, i, nl);
        this.emitPending();
      } else {
        const end = nl > i && chunk[nl - 1] === CR ? nl - 1 : nl;
        sink.line(chunk, i, end, this.lineStart, end - i);
      }
      this.lineStart = chunkAt + nl + 1;
      i = nl + 1;
      if (this.lineStart >= this.rangeEnd) return true;
    }
    return false;
  }

  /** Hands on the line left unfinished at the object's end, if any. */
  finish(): void {
    if (this.pendingLength > 0) this.emitPending();
  }

  private emitPending(): void {
    let full = this.pendingLength;
    let held = this.carryLength;
    if (this.pendingLastByte === CR) {
      full--;
      if (held > full) held = full;
    }
    this.sink.line(this.carry, 0, held, this.lineStart, full);
    this.carryLength = 0;
    this.pendingLength = 0;
    this.pendingLastByte = -1;
  }

  private hold(chunk: Uint8Array, from: number, to: number): void {
    if (to === from) return;
    const take = Math.min(to - from, this.keep - this.carryLength);
    if (take > 0) {
      if (this.carryLength + take > this.carry.length) {
        const grown = Buffer.alloc(
          Math.min(this.keep, Math.max(this.carry.length * 2, this.carryLength + take)),
        );
        grown.set(this.carry.subarray(0, this.carryLength));
        this.carry = grown;
      }
      this.carry.set(chunk.subarray(from, from + take), this.carryLength);
      this.carryLength += take;
    }
    this.pendingLength += to - from;
    this.pendingLastByte = chunk[to - 1]!;
  }
}

/**
 * Bytes from `from` to the object's end, asked for as a bounded read up to `aheadUntil` (the
 * range and one record's worth past it: all a range needs but for a record longer than that)
 * and the rest only if the consumer gets there. A bounded read lets a source fetch it in
 * parallel parts without fetching far past the range.
 */
async function* rangeAndBeyond(
  source: ByteSource,
  from: number,
  aheadUntil: number,
): AsyncGenerator<Uint8Array> {
  const until = Math.min(source.size, aheadUntil);
  // The scanner is done with each chunk before it asks for the next: a reused buffer will do.
  const stream = (start: number, end: number) =>
    source.streamReused === undefined ? source.stream(start, end) : source.streamReused(start, end);
  yield* stream(from, until);
  if (until < source.size) yield* stream(until, source.size);
}
