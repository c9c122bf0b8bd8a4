/**
 * A range's server-error rows as the mapper meets them: numbers in growable typed arrays and the
 * extention's bytes back to back, made into the partial's columns (ServerErrorColumns) once, at
 * the range's end. Pushing strings to a range's fresh arrays from the record loop deoptimized it
 * at the first server error of every range (a fresh array starts out holding small integers
 * only, --trace-deopt); the loop now writes numbers and bytes only.
 */
import type { ServerErrorColumns } from "./aggregate";
import { formatDate, formatTime } from "./field-typing";

const utf8Lossy = new TextDecoder("utf-8", { ignoreBOM: true });

export class ServerErrorRows {
  private offsets = new Float64Array(64);
  /** Per row: its date as yyyymmdd, time in seconds, code, and extention's end in `bytes` (-1: empty). */
  private numbers = new Int32Array(64 * 4);
  private bytes = new Uint8Array(1024);
  private bytesUsed = 0;
  private rows = 0;

  /** One row; its extention is ext[extStart, extEnd) (empty: null in the columns). */
  add(
    offset: number,
    date: number,
    time: number,
    code: number,
    ext: Uint8Array,
    extStart: number,
    extEnd: number,
  ): void {
    const row = this.rows;
    if (row === this.offsets.length) this.grow();
    const length = extEnd - extStart;
    if (this.bytesUsed + length > this.bytes.length) this.growBytes(length);
    this.bytes.set(ext.subarray(extStart, extEnd), this.bytesUsed);
    this.bytesUsed += length;
    this.offsets[row] = offset;
    const at = row * 4;
    this.numbers[at] = date;
    this.numbers[at + 1] = time;
    this.numbers[at + 2] = code;
    this.numbers[at + 3] = length === 0 ? -1 : this.bytesUsed;
    this.rows = row + 1;
  }

  /** The rows as the partial's columns, in the order they were added. */
  columns(): ServerErrorColumns {
    const n = this.rows;
    const columns: ServerErrorColumns = { offset: [], date: [], time: [], extention: [], code: [] };
    let extStart = 0;
    for (let row = 0; row < n; row++) {
      const at = row * 4;
      const extEnd = this.numbers[at + 3]!;
      columns.offset.push(this.offsets[row]!);
      columns.date.push(formatDate(this.numbers[at]!));
      columns.time.push(formatTime(this.numbers[at + 1]!));
      columns.code.push(this.numbers[at + 2]!);
      if (extEnd < 0) columns.extention.push(null);
      else {
        columns.extention.push(utf8Lossy.decode(this.bytes.subarray(extStart, extEnd)));
        extStart = extEnd;
      }
    }
    return columns;
  }

  private grow(): void {
    const offsets = new Float64Array(this.offsets.length * 2);
    offsets.set(this.offsets);
    this.offsets = offsets;
    const numbers = new Int32Array(this.numbers.length * 2);
    numbers.set(this.numbers);
    this.numbers = numbers;
  }

  private growBytes(length: number): void {
    const bytes = new Uint8Array(Math.max(this.bytes.length * 2, this.bytesUsed + length));
    bytes.set(this.bytes.subarray(0, this.bytesUsed));
    this.bytes = bytes;
  }
}
