/**
 * Splitting one line of the file into fields, on bytes: the hot path for the quote-free lines
 * that make up nearly all of EDGAR. Four bytes at a time, since most words of a log line hold
 * none of comma, quote or a byte >= 128 and are skipped whole. A line with a `"` is left to
 * csv-parse (quoted-line.ts); both give the same field bounds to the same typing.
 */
import { EDGAR_COLUMNS } from "./schema";
import { ViewCache } from "./view-cache";

const COMMA = 44;
const QUOTE = 34;
export const NCOLS = EDGAR_COLUMNS.length;

export class LineSplitter {
  /** Field i of the last line is bytes [fieldStart[i], fieldEnd[i]), for i < min(fields, NCOLS). */
  readonly fieldStart = new Int32Array(NCOLS);
  readonly fieldEnd = new Int32Array(NCOLS);
  /** Fields the last line has (commas + 1); may exceed NCOLS, whose bounds are not kept. */
  fields = 0;
  /** Bit i set: field i is empty. */
  emptyFields = 0;
  /** The line has a byte >= 128, so it must be checked as UTF-8. */
  nonAscii = false;
  /** The line has a `"`: splitting stopped there, and the line goes to csv-parse. */
  quoted = false;
  /** A view for reading a word at a time from the buffer the last line came in. */
  private readonly views = new ViewCache();

  /** Splits bytes[start, end) on commas, noting quotes, non-ASCII bytes and empty fields. */
  split(bytes: Uint8Array, start: number, end: number): void {
    const view = this.viewOf(bytes);
    const fs = this.fieldStart;
    const fe = this.fieldEnd;
    const lastWordAt = end - 4;
    let field = 0;
    let emptyFields = 0;
    let nonAscii = false;
    let quoted = false;
    let fieldBegin = start;
    let i = start;
    while (i < end) {
      let at = i;
      let b: number;
      if (i <= lastWordAt) {
        const word = view.getInt32(i, true);
        const marks = specialByteMarks(word);
        if (marks === 0) {
          i += 4;
          continue;
        }
        const bit = lowestBit(marks); // the high bit of the first marked byte: 7, 15, 23 or 31
        at += bit >> 3;
        b = (word >>> (bit - 7)) & 0xff;
      } else {
        b = bytes[at]!;
      }
      i = at + 1;
      if (b === COMMA) {
        if (field < NCOLS) {
          fs[field] = fieldBegin;
          fe[field] = at;
          if (at === fieldBegin) emptyFields |= 1 << field;
        }
        field++;
        fieldBegin = i;
      } else if (b === QUOTE) {
        quoted = true;
        break;
      } else if (b >= 128) {
        nonAscii = true;
      }
    }
    if (!quoted && field < NCOLS) {
      fs[field] = fieldBegin;
      fe[field] = end;
      if (end === fieldBegin) emptyFields |= 1 << field;
    }
    this.fields = field + 1;
    this.emptyFields = emptyFields;
    this.nonAscii = nonAscii;
    this.quoted = quoted;
  }

  /** A DataView on `bytes` (the one the last line came in, unless this line is in another). */
  viewOf(bytes: Uint8Array): DataView {
    return this.views.of(bytes);
  }
}

/**
 * Marks (the byte's high bit) the bytes of a little-endian word that are a comma, a quote or
 * >= 128. The lowest mark is exact; a byte above a comma or quote may be marked falsely (the
 * zero-byte test's borrow), which is harmless since the scan goes on from the lowest mark.
 */
function specialByteMarks(word: number): number {
  const commas = word ^ 0x2c2c2c2c; // zero bytes where `word` has a comma
  const quotes = word ^ 0x22222222;
  return (((commas - 0x01010101) & ~commas) | ((quotes - 0x01010101) & ~quotes) | word) & 0x80808080;
}

/** Index of the lowest set bit of a non-zero int32. */
export function lowestBit(x: number): number {
  return 31 - Math.clz32(x & -x);
}
