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
 * Receives one line without its LF or CRLF: bytes[start, end) hold it, or its first bytes when
 * it is longer than maxRecordBytes (`fullLength` is then its true length without CR/LF).
 * `offset` is the position of its first byte in the object.
 */
export type LineSink = (
  bytes: Uint8Array,
  start: number,
  end: number,
  offset: number,
  fullLength: number,
) => void;

const LF = 10;
const CR = 13;

export async function scanRange(
  source: ByteSource,
  range: ByteRange,
  dataStart: number,
  maxRecordBytes: number,
  sink: LineSink,
): Promise<RangeBounds> {
  // Enough to tell a line is too long, and to quote its start in the quarantine.
  const keep = Math.max(maxRecordBytes + 1, RAW_CLIP_BYTES);
  // A Buffer, as every chunk is: the sink's hot functions then see one kind of array (a
  // Uint8Array here deoptimized eight of them at the first chunk boundary, --trace-deopt).
  let carry = Buffer.alloc(Math.min(keep, 64 * 1024));
  let carryLength = 0; // bytes of the pending line held in carry
  let pendingLength = 0; // true length of the pending line so far
  let pendingLastByte = -1;
  const emitPending = (offset: number) => {
    let full = pendingLength;
    let held = carryLength;
    if (pendingLastByte === CR) {
      full--;
      if (held > full) held = full;
    }
    sink(carry, 0, held, offset, full);
    carryLength = 0;
    pendingLength = 0;
    pendingLastByte = -1;
  };
  const hold = (chunk: Uint8Array, from: number, to: number) => {
    if (to === from) return;
    const take = Math.min(to - from, keep - carryLength);
    if (take > 0) {
      if (carryLength + take > carry.length) {
        const grown = Buffer.alloc(Math.min(keep, Math.max(carry.length * 2, carryLength + take)));
        grown.set(carry.subarray(0, carryLength));
        carry = grown;
      }
      carry.set(chunk.subarray(from, from + take), carryLength);
      carryLength += take;
    }
    pendingLength += to - from;
    pendingLastByte = chunk[to - 1]!;
  };

  const ownsFirstByte = range.start === dataStart;
  let skipping = !ownsFirstByte;
  let firstRecordAt = ownsFirstByte ? dataStart : -1;
  let lineStart = firstRecordAt;
  let chunkAt = ownsFirstByte ? dataStart : range.start - 1;
  for await (const raw of rangeAndBeyond(source, chunkAt, range.end + keep + 1)) {
    const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    const n = chunk.length;
    let i = 0;
    if (skipping) {
      const nl = chunk.indexOf(LF);
      if (nl < 0) {
        chunkAt += n;
        continue;
      }
      skipping = false;
      firstRecordAt = chunkAt + nl + 1;
      lineStart = firstRecordAt;
      if (firstRecordAt >= range.end) return { firstRecordAt, endedAt: firstRecordAt };
      i = nl + 1;
    }
    while (i < n) {
      const nl = chunk.indexOf(LF, i);
      if (nl < 0) {
        hold(chunk, i, n);
        break;
      }
      if (pendingLength > 0) {
        hold(chunk, i, nl);
        emitPending(lineStart);
      } else {
        const end = nl > i && chunk[nl - 1] === CR ? nl - 1 : nl;
        sink(chunk, i, end, lineStart, end - i);
      }
      lineStart = chunkAt + nl + 1;
      i = nl + 1;
      if (lineStart >= range.end) return { firstRecordAt, endedAt: lineStart };
    }
    chunkAt += n;
  }
  if (skipping) return { firstRecordAt: source.size, endedAt: source.size };
  if (pendingLength > 0) emitPending(lineStart);
  return { firstRecordAt, endedAt: source.size };
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
