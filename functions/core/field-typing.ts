/**
 * Typing one field of an EDGAR record, on bytes: dates, times and integers are checked and
 * converted in place, without making a string. The same rules for every record, quoted or not.
 */

/** Days in each month of a leap year; February of other years is checked separately. */
const DAYS_IN_MONTH = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function digit(b: number): number {
  const d = b - 48;
  return d >= 0 && d <= 9 ? d : -1000;
}

/** YYYY-MM-DD -> yyyymmdd as an integer, or -1. Years before 1970 are refused (Parquet DATE here). */
export function parseDate(b: Uint8Array, s: number, e: number): number {
  if (e - s !== 10 || b[s + 4] !== 45 || b[s + 7] !== 45) return -1;
  const y = digit(b[s]!) * 1000 + digit(b[s + 1]!) * 100 + digit(b[s + 2]!) * 10 + digit(b[s + 3]!);
  const m = digit(b[s + 5]!) * 10 + digit(b[s + 6]!);
  const d = digit(b[s + 8]!) * 10 + digit(b[s + 9]!);
  if (y < 1970 || m < 1 || m > 12 || d < 1 || d > DAYS_IN_MONTH[m]!) return -1;
  if (m === 2 && d === 29 && !(y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0))) return -1;
  return y * 10000 + m * 100 + d;
}

/** HH:MM:SS or H:MM:SS -> seconds since midnight, or -1. */
export function parseTime(b: Uint8Array, s: number, e: number): number {
  const len = e - s;
  let h: number;
  if (len === 8) h = digit(b[s]!) * 10 + digit(b[s + 1]!);
  else if (len === 7) h = digit(b[s]!);
  else return -1;
  const p = e - 6;
  if (b[p] !== 58 || b[p + 3] !== 58) return -1;
  const m = digit(b[p + 1]!) * 10 + digit(b[p + 2]!);
  const sec = digit(b[p + 4]!) * 10 + digit(b[p + 5]!);
  if (h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 59) return -1;
  return h * 3600 + m * 60 + sec;
}

/**
 * An integer written `123`, `-7`, `123.0` or `123.00` -> its value; anything else (including
 * exponents like `1.21e+24`, fractions, or more than 15 digits) -> NaN.
 */
export function parseInteger(b: Uint8Array, s: number, e: number): number {
  let i = s;
  let sign = 1;
  if (i < e && b[i] === 45) {
    sign = -1;
    i++;
  }
  const digitsStart = i;
  let v = 0;
  while (i < e) {
    const d = b[i]! - 48;
    if (d < 0 || d > 9) break;
    v = v * 10 + d;
    i++;
  }
  const digits = i - digitsStart;
  if (digits === 0 || digits > 15) return Number.NaN;
  if (i < e) {
    if (b[i] !== 46) return Number.NaN;
    for (i++; i < e; i++) if (b[i] !== 48) return Number.NaN;
  }
  return sign * v;
}

/**
 * Whether a non-empty field is an integer by parseInteger's rules (not NaN), without its value:
 * drop a fraction of zeros (".0", ".", ".00"); what is left must be an optional '-' and 1 to 15
 * digits. `view` covers `b`.
 */
export function isIntegerText(view: DataView, b: Uint8Array, s: number, e: number): boolean {
  // Most values are a digit then ".0".
  if (e - s === 3 && b[s + 1] === 46 && b[s + 2] === 48) return b[s]! - 48 >= 0 && b[s]! - 48 <= 9;
  let zerosFrom = e;
  while (zerosFrom > s && b[zerosFrom - 1] === 48) zerosFrom--;
  const digitsEnd = zerosFrom > s && b[zerosFrom - 1] === 46 ? zerosFrom - 1 : e;
  let i = b[s] === 45 ? s + 1 : s;
  if (digitsEnd - i < 1 || digitsEnd - i > 15) return false;
  if (digitsEnd - i >= 4) {
    // A word at a time, the last word overlapping the one before if need be.
    let marks = nonDigitMarks(view.getInt32(digitsEnd - 4, true));
    for (; i < digitsEnd - 4; i += 4) marks |= nonDigitMarks(view.getInt32(i, true));
    return marks === 0;
  }
  for (; i < digitsEnd; i++) if (b[i]! - 48 < 0 || b[i]! - 48 > 9) return false;
  return true;
}

/** Marks (the byte's high bit) the bytes of a word that are not ASCII digits; no carry crosses a byte. */
function nonDigitMarks(word: number): number {
  const above9 = (word & 0x7f7f7f7f) + 0x46464646; // high bit set where the low 7 bits are > '9'
  const atLeast0 = (word | 0x80808080) - 0x30303030; // high bit clear where they are < '0'
  return (above9 | ~atLeast0 | word) & 0x80808080;
}

export function formatDate(yyyymmdd: number): string {
  const y = Math.floor(yyyymmdd / 10000);
  const m = Math.floor(yyyymmdd / 100) % 100;
  const d = yyyymmdd % 100;
  return `${y}-${m < 10 ? "0" : ""}${m}-${d < 10 ? "0" : ""}${d}`;
}

export function formatTime(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor(seconds / 60) % 60;
  const s = seconds % 60;
  return `${h < 10 ? "0" : ""}${h}:${m < 10 ? "0" : ""}${m}:${s < 10 ? "0" : ""}${s}`;
}
