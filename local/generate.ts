/**
 * A synthetic SEC EDGAR web-server log day (CSV), realistic enough to exercise the pipeline and
 * its charts, and fast enough to make hundreds of MB in seconds.
 *
 * Deterministic: the same (bytes, seed) gives byte-identical output. All randomness comes from a
 * seeded xoshiro128** stream plus a bijective integer hash for per-entity attributes (an IP's
 * browser, a document's CIK, accession and size), so an entity looks the same every time it recurs.
 *
 * Shape of the day (one fixed date, 2017-06-30):
 * - time advances with the bytes written, warped by an hourly load curve, so it runs from
 *   00:00:00 to ~23:59:59 whatever the size and never goes backwards;
 * - IPs are a mixture: 30 heavy crawlers with geometrically falling shares (the top 20 are well
 *   apart), a Zipf-like middle, and a long tail of IPs seen once or twice; pools scale with size
 *   (~300k distinct IPs at 200 MB);
 * - 503s follow load and spike in two seed-chosen "incident" hours, so errors by hour is not flat.
 */
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { finished } from "node:stream/promises";
import { fmix32 } from "../functions/core/hash";

export interface GenerateOptions {
  /** Target size in bytes, header included; output stops at the first line end at or after it. */
  readonly bytes: number;
  /** Any safe integer. */
  readonly seed: number;
}

export interface GeneratedTotals {
  readonly bytes: number;
  /** Data rows, header excluded. */
  readonly rows: number;
}

const HEADER =
  "ip,date,time,zone,cik,accession,extention,code,size,idx,norefer,noagent,find,crawler,browser\n";
const DAY = "2017-06-30";
const BLOCK_BYTES = 4 * 1024 * 1024;
/** Generous bound on one row; a block is handed over before a row could overflow it. */
const MAX_ROW_BYTES = 256;
/** Average row length, used only to size the IP, document and company pools. */
const ESTIMATED_ROW_BYTES = 115;
const TWO_POW_32 = 4294967296;

// ---------------------------------------------------------------------------------------------
// Randomness

/** murmur3's 32-bit finaliser: a bijection on uint32, so distinct inputs stay distinct. */
const mix32 = fmix32;

/** Folds a safe integer (possibly negative or above 2^32) into 32 bits without losing its high half. */
function seed32(seed: number): number {
  return mix32((seed >>> 0) ^ mix32(Math.floor(seed / TWO_POW_32) >>> 0));
}

/** xoshiro128** seeded through splitmix32: a uint32 stream, fast in 32-bit integer arithmetic. */
function createRandom(seed: number): () => number {
  let splitmix = seed;
  const nextSplitmix = (): number => {
    splitmix = (splitmix + 0x9e3779b9) | 0;
    return fmix32(splitmix) | 0;
  };
  let s0 = nextSplitmix();
  let s1 = nextSplitmix();
  let s2 = nextSplitmix();
  let s3 = nextSplitmix();
  return () => {
    const product = Math.imul(s1, 5);
    const result = Math.imul((product << 7) | (product >>> 25), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    return result;
  };
}

/** Cumulative thresholds on the uint32 range; the last is 2^32 so every draw lands somewhere. */
function thresholds(weights: readonly number[]): Float64Array {
  const total = weights.reduce((sum, w) => sum + w, 0);
  const cumulative = new Float64Array(weights.length);
  let running = 0;
  weights.forEach((w, i) => {
    running += w;
    cumulative[i] = Math.floor((running / total) * TWO_POW_32);
  });
  cumulative[weights.length - 1] = TWO_POW_32;
  return cumulative;
}

function pick(draw: number, cumulative: Float64Array): number {
  let i = 0;
  while (draw >= cumulative[i]!) {
    i++;
  }
  return i;
}

/**
 * An index in [0, size) with probability roughly proportional to 1 / (index + offset): Zipf with
 * exponent 1, by inverting its continuous approximation. The offset flattens the head.
 */
interface ZipfPool {
  readonly size: number;
  readonly offset: number;
  readonly logSpan: number;
}

function zipfPool(size: number, offset: number): ZipfPool {
  return { size, offset, logSpan: Math.log((size + offset) / offset) };
}

function zipfIndex(draw: number, pool: ZipfPool): number {
  const index = Math.floor(pool.offset * Math.exp((draw / TWO_POW_32) * pool.logSpan)) - pool.offset;
  return index < pool.size ? index : pool.size - 1;
}

// ---------------------------------------------------------------------------------------------
// Byte tables: rows are written as ASCII bytes straight into a block, never as strings.

interface TextTable {
  readonly bytes: Uint8Array;
  readonly starts: Uint32Array;
  readonly ends: Uint32Array;
}

function textTable(texts: readonly string[]): TextTable {
  const bytes = Buffer.from(texts.join(""), "latin1");
  const starts = new Uint32Array(texts.length);
  const ends = new Uint32Array(texts.length);
  let at = 0;
  texts.forEach((text, i) => {
    starts[i] = at;
    at += text.length;
    ends[i] = at;
  });
  return { bytes, starts, ends };
}

function writeText(table: TextTable, index: number, out: Uint8Array, at: number): number {
  let pos = at;
  const end = table.ends[index]!;
  for (let i = table.starts[index]!; i < end; i++) {
    out[pos++] = table.bytes[i]!;
  }
  return pos;
}

function writeBytes(bytes: Uint8Array, out: Uint8Array, at: number): number {
  let pos = at;
  for (let i = 0; i < bytes.length; i++) {
    out[pos++] = bytes[i]!;
  }
  return pos;
}

function writeDecimal(value: number, out: Uint8Array, at: number): number {
  let digits = 1;
  for (let power = 10; power <= value; power *= 10) {
    digits++;
  }
  return writePadded(value, digits, out, at);
}

function writePadded(value: number, width: number, out: Uint8Array, at: number): number {
  let rest = value;
  for (let i = at + width - 1; i >= at; i--) {
    out[i] = 48 + (rest % 10);
    rest = Math.floor(rest / 10);
  }
  return at + width;
}

const ascii = (text: string): Uint8Array => Buffer.from(text, "latin1");
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

const OCTETS = textTable(range(256).map(String));
/**
 * The SEC replaces an IP's last octet with three letters a-j. 294 codes are enough to make the
 * IP mapping below injective; spreading them over 0..999 uses the whole alphabet.
 */
const LETTER_CODES = 294;
const LAST_OCTETS = textTable(
  range(LETTER_CODES).map((code) =>
    String(Math.floor((code * 1000) / LETTER_CODES))
      .padStart(3, "0")
      .replace(/\d/g, (d) => String.fromCharCode(97 + Number(d))),
  ),
);
const FINDS = textTable(range(11).map((n) => `${n}.0`));
const FIND_WEIGHTS = thresholds([40, 5, 3, 5, 3, 5, 4, 3, 2, 15, 15]);

/** Hours of the day by relative load: quiet nights, busy US business hours. */
const HOURLY_LOAD = [
  0.6, 0.55, 0.5, 0.5, 0.5, 0.55, 0.7, 0.9, 1.1, 1.3, 1.4, 1.45, 1.4, 1.4, 1.45, 1.4, 1.3, 1.1, 0.95, 0.85,
  0.8, 0.75, 0.7, 0.65,
];

interface Extention {
  readonly text: string;
  readonly weight: number;
  readonly minSize: number;
  readonly maxSize: number;
  readonly isIndex: boolean;
}

const EXTENTIONS: readonly Extention[] = [
  { text: "-index.htm", weight: 30, minSize: 2_500, maxSize: 90_000, isIndex: true },
  { text: ".txt", weight: 16, minSize: 3_000, maxSize: 6_000_000, isIndex: false },
  { text: "-index.html", weight: 6, minSize: 2_500, maxSize: 90_000, isIndex: true },
  { text: ".htm", weight: 10, minSize: 2_000, maxSize: 3_000_000, isIndex: false },
  { text: ".xml", weight: 5, minSize: 1_500, maxSize: 400_000, isIndex: false },
  { text: ".hdr.sgml", weight: 3, minSize: 800, maxSize: 12_000, isIndex: false },
  { text: "-xbrl.zip", weight: 2, minSize: 20_000, maxSize: 4_000_000, isIndex: false },
  { text: "primary_doc.xml", weight: 3, minSize: 1_500, maxSize: 40_000, isIndex: false },
  { text: "xslF345X03/doc4.xml", weight: 4, minSize: 3_000, maxSize: 30_000, isIndex: false },
  { text: "FilingSummary.xml", weight: 2, minSize: 4_000, maxSize: 60_000, isIndex: false },
  { text: "R2.htm", weight: 2, minSize: 3_000, maxSize: 120_000, isIndex: false },
  { text: "R4.htm", weight: 1.5, minSize: 3_000, maxSize: 120_000, isIndex: false },
  { text: "Financial_Report.xlsx", weight: 1, minSize: 15_000, maxSize: 900_000, isIndex: false },
  { text: "form10k.htm", weight: 1, minSize: 100_000, maxSize: 2_500_000, isIndex: false },
  { text: "ex99-1.htm", weight: 1.5, minSize: 5_000, maxSize: 300_000, isIndex: false },
];
const EXTENTION_TEXTS = textTable(EXTENTIONS.map((e) => e.text));
const EXTENTION_WEIGHTS = thresholds(EXTENTIONS.map((e) => e.weight));
const EXTENTION_IS_INDEX = EXTENTIONS.map((e) => e.isIndex);
const EXTENTION_MIN_SIZE = EXTENTIONS.map((e) => e.minSize);
const EXTENTION_LOG_SIZE_SPAN = EXTENTIONS.map((e) => Math.log(e.maxSize / e.minSize));

/** Status codes; 5xx weights are per hour (see `codeThresholdsByHour`), the rest fixed per 10,000. */
const CODES = textTable([
  "200.0",
  "304.0",
  "404.0",
  "301.0",
  "206.0",
  "403.0",
  "0.0",
  "503.0",
  "500.0",
  "502.0",
]);
/** Indexes into CODES; the server errors come last. */
const CODE_OK = 0;
const CODE_NOT_MODIFIED = 1;
const CODE_NOT_FOUND = 2;
const CODE_MOVED = 3;
const CODE_PARTIAL = 4;
const CODE_FORBIDDEN = 5;
const CODE_NO_STATUS = 6;
const NON_ERROR_WEIGHTS = [8800, 500, 300, 200, 40, 30, 20];
const BASE_503_RATE = 0.0045;
const INCIDENT_503_RATES = [0.035, 0.015];
const RATE_500 = 0.0001;
const RATE_502 = 0.00008;

/** Browser field per IP profile: mostly empty, as in the SEC's data. */
const BROWSERS = textTable(["", "mie", "win", "lin", "mac", "saf", "opr"]);
const BROWSER_WEIGHTS = thresholds([80, 6, 5, 2, 3, 3, 1]);

/** Filer agents that submit for many companies (the accession's first part); else the company itself. */
const FILER_AGENTS = textTable([
  "0001047469",
  "0001193125",
  "0001144204",
  "0001140361",
  "0001564590",
  "0001213900",
  "0001493152",
  "0001171843",
  "0001079973",
  "0001209191",
  "0000950123",
  "0001104659",
]);
const ACCESSION_YEARS = range(15).map((i) => 3 + i); // 03..17
const ACCESSION_YEAR_WEIGHTS = thresholds(ACCESSION_YEARS.map((year) => (year === 17 ? 30 : 1 + year / 2)));

const HEAVY_IP_COUNT = 30;
const HEAVY_IP_WEIGHTS = thresholds(range(HEAVY_IP_COUNT).map((rank) => 0.82 ** rank));
/** Request shares of the heavy crawlers, the Zipf middle and the long tail. */
const IP_SOURCE_WEIGHTS = thresholds([35, 45, 20]);

const DATE_FIELD = ascii(`,${DAY},`);
const ZONE_FIELD = ascii(",0.0,");

// Hash salts, so the attributes of one entity are independent of each other.
const SALT_IP = 0x1b873593;
const SALT_PROFILE = 0x68e31da4;
const SALT_DOCUMENT = 0x3c6ef372;
const SALT_COMPANY = 0x7f4a7c15;
const SALT_ACCESSION = 0x2545f491;
const SALT_SIZE = 0x5851f42d;

// ---------------------------------------------------------------------------------------------
// The model of one day: everything that depends on (bytes, seed) but not on the row.

interface DayModel {
  readonly seed: number;
  readonly middleIps: ZipfPool;
  readonly tailIps: number;
  readonly documents: ZipfPool;
  readonly companies: ZipfPool;
  /** Fraction of the bytes written by the start and end of each hour (the last ends at infinity). */
  readonly hourStarts: Float64Array;
  readonly hourEnds: Float64Array;
  /** Seconds of clock per unit of progress, per hour. */
  readonly secondsPerShare: Float64Array;
  readonly codeThresholdsByHour: readonly Float64Array[];
}

function dayModel(options: GenerateOptions): DayModel {
  const seed = seed32(options.seed);
  const rows = Math.max(1, options.bytes / ESTIMATED_ROW_BYTES);
  const totalLoad = HOURLY_LOAD.reduce((sum, load) => sum + load, 0);
  const meanLoad = totalLoad / HOURLY_LOAD.length;
  const hourStarts = new Float64Array(24);
  const hourEnds = new Float64Array(24);
  const secondsPerShare = new Float64Array(24);
  let running = 0;
  HOURLY_LOAD.forEach((load, hour) => {
    hourStarts[hour] = running;
    running += load / totalLoad;
    hourEnds[hour] = running;
    secondsPerShare[hour] = 3600 / (load / totalLoad);
  });
  hourEnds[23] = Number.POSITIVE_INFINITY;

  const firstIncident = mix32(seed ^ 0x1234567) % 24;
  const secondIncident = (firstIncident + 1 + (mix32(seed ^ 0x7654321) % 23)) % 24;
  const codeThresholdsByHour = HOURLY_LOAD.map((load, hour) => {
    const incident =
      hour === firstIncident ? INCIDENT_503_RATES[0]! : hour === secondIncident ? INCIDENT_503_RATES[1]! : 0;
    // Overload errors grow faster than load.
    const rate503 = BASE_503_RATE * (load / meanLoad) ** 2 + incident;
    const nonErrorShare = 1 - rate503 - RATE_500 - RATE_502;
    const nonErrorTotal = NON_ERROR_WEIGHTS.reduce((sum, w) => sum + w, 0);
    return thresholds([
      ...NON_ERROR_WEIGHTS.map((w) => (w / nonErrorTotal) * nonErrorShare),
      rate503,
      RATE_500,
      RATE_502,
    ]);
  });

  return {
    seed,
    middleIps: zipfPool(Math.max(100, Math.round(rows * 0.06)), 50),
    tailIps: Math.max(100, Math.round(rows * 0.17)),
    documents: zipfPool(Math.max(1_000, Math.round(rows * 0.3)), 10),
    companies: zipfPool(Math.max(200, Math.round(rows * 0.015)), 5),
    hourStarts,
    hourEnds,
    secondsPerShare,
    codeThresholdsByHour,
  };
}

// ---------------------------------------------------------------------------------------------
// One row

/**
 * A 32-bit IP key for this row. The three sources draw from disjoint index ranges and the hash is
 * a bijection, so distinct IPs in the model are distinct keys.
 */
function ipKey(model: DayModel, next: () => number): number {
  const source = pick(next(), IP_SOURCE_WEIGHTS);
  const index =
    source === 0
      ? pick(next(), HEAVY_IP_WEIGHTS)
      : source === 1
        ? HEAVY_IP_COUNT + zipfIndex(next(), model.middleIps)
        : HEAVY_IP_COUNT + model.middleIps.size + (next() % model.tailIps);
  return mix32((index ^ model.seed ^ SALT_IP) >>> 0);
}

/** Injective from the key: first octet 1..223 (no multicast), two octets, then 294 letter codes. */
function writeIp(key: number, out: Uint8Array, at: number): number {
  const firstOctet = 1 + (key % 223);
  const rest = Math.floor(key / 223);
  let pos = writeText(OCTETS, firstOctet, out, at);
  out[pos++] = 46;
  pos = writeText(OCTETS, rest & 255, out, pos);
  out[pos++] = 46;
  pos = writeText(OCTETS, (rest >>> 8) & 255, out, pos);
  out[pos++] = 46;
  return writeText(LAST_OCTETS, rest >>> 16, out, pos);
}

function writeClock(secondOfDay: number, out: Uint8Array, at: number): number {
  const hours = Math.floor(secondOfDay / 3600);
  const minutes = Math.floor(secondOfDay / 60) % 60;
  let pos = writePadded(hours, 2, out, at);
  out[pos++] = 58;
  pos = writePadded(minutes, 2, out, pos);
  out[pos++] = 58;
  return writePadded(secondOfDay % 60, 2, out, pos);
}

/** Writes `cik.0,accession,` for a document: the CIK is its company's, the accession its own. */
function writeDocument(model: DayModel, documentKey: number, out: Uint8Array, at: number): number {
  const company = zipfIndex(documentKey, model.companies);
  const cik = 1_000 + (mix32((company ^ model.seed ^ SALT_COMPANY) >>> 0) % 1_720_000);
  let pos = writeDecimal(cik, out, at);
  out[pos++] = 46;
  out[pos++] = 48;
  out[pos++] = 44;
  const accessionKey = mix32((documentKey ^ SALT_ACCESSION) >>> 0);
  // 45% self-filed (the accession starts with the company's own CIK), the rest by a filer agent.
  pos =
    (accessionKey & 0xff) < 115
      ? writePadded(cik, 10, out, pos)
      : writeText(FILER_AGENTS, (accessionKey >>> 8) % FILER_AGENTS.starts.length, out, pos);
  out[pos++] = 45;
  pos = writePadded(ACCESSION_YEARS[pick(mix32(accessionKey), ACCESSION_YEAR_WEIGHTS)]!, 2, out, pos);
  out[pos++] = 45;
  pos = writePadded(mix32(documentKey) % 1_000_000, 6, out, pos);
  out[pos++] = 44;
  return pos;
}

/** A document's size for one extention, the same every time it is requested. */
function documentSize(documentKey: number, extention: number): number {
  const draw = mix32((documentKey ^ SALT_SIZE ^ Math.imul(extention, 0x9e3779b9)) >>> 0) / TWO_POW_32;
  return Math.floor(EXTENTION_MIN_SIZE[extention]! * Math.exp(draw * EXTENTION_LOG_SIZE_SPAN[extention]!));
}

/** Response size by status; -1 for an empty field (no status, most 304s). */
function responseSize(code: number, documentKey: number, extention: number, draw: number): number {
  const fraction = draw / TWO_POW_32;
  switch (code) {
    case CODE_OK:
      return documentSize(documentKey, extention);
    case CODE_NOT_MODIFIED:
      return fraction < 0.6 ? -1 : documentSize(documentKey, extention);
    case CODE_PARTIAL:
      return Math.floor(documentSize(documentKey, extention) * fraction);
    case CODE_NOT_FOUND:
      return 2_500 + Math.floor(fraction * 700);
    case CODE_MOVED:
      return 240 + Math.floor(fraction * 460);
    case CODE_FORBIDDEN:
      return 200 + Math.floor(fraction * 120);
    case CODE_NO_STATUS:
      return -1;
    default:
      return 250 + Math.floor(fraction * 200);
  }
}

function writeFlag(flag: boolean, out: Uint8Array, at: number): number {
  out[at] = flag ? 49 : 48;
  out[at + 1] = 46;
  out[at + 2] = 48;
  out[at + 3] = 44;
  return at + 4;
}

function writeRow(
  model: DayModel,
  next: () => number,
  secondOfDay: number,
  hour: number,
  out: Uint8Array,
  at: number,
): number {
  const ip = ipKey(model, next);
  let pos = writeIp(ip, out, at);
  pos = writeBytes(DATE_FIELD, out, pos);
  pos = writeClock(secondOfDay, out, pos);
  pos = writeBytes(ZONE_FIELD, out, pos);

  const documentKey = mix32((zipfIndex(next(), model.documents) ^ model.seed ^ SALT_DOCUMENT) >>> 0);
  pos = writeDocument(model, documentKey, out, pos);

  const extention = pick(next(), EXTENTION_WEIGHTS);
  pos = writeText(EXTENTION_TEXTS, extention, out, pos);
  out[pos++] = 44;

  const code = pick(next(), model.codeThresholdsByHour[hour]!);
  pos = writeText(CODES, code, out, pos);
  out[pos++] = 44;

  const size = responseSize(code, documentKey, extention, next());
  if (size >= 0) {
    pos = writeDecimal(size, out, pos);
    out[pos++] = 46;
    out[pos++] = 48;
  }
  out[pos++] = 44;

  // Who asks is a property of the IP: some send no user agent, a few call themselves crawlers.
  const profile = mix32((ip ^ SALT_PROFILE) >>> 0);
  const noAgent = (profile & 0xff) < 10;
  const selfDeclaredCrawler = (profile >>> 8) % 50 === 0;
  const alwaysNoReferer = noAgent || selfDeclaredCrawler || (profile >>> 16) % 4 !== 0;
  pos = writeFlag(EXTENTION_IS_INDEX[extention]!, out, pos);
  pos = writeFlag(alwaysNoReferer || next() < 0.5 * TWO_POW_32, out, pos);
  pos = writeFlag(noAgent, out, pos);
  pos = writeText(FINDS, pick(next(), FIND_WEIGHTS), out, pos);
  out[pos++] = 44;
  pos = writeFlag(selfDeclaredCrawler || code === CODE_NOT_FOUND, out, pos);
  if (!noAgent) {
    pos = writeText(BROWSERS, pick(mix32(profile), BROWSER_WEIGHTS), out, pos);
  }
  out[pos++] = 10;
  return pos;
}

// ---------------------------------------------------------------------------------------------
// The day

/**
 * Yields the CSV in fresh blocks of up to 4 MiB (each Buffer is the caller's to keep) and returns
 * the totals. Synchronous: generation is CPU-bound, and the caller decides how to pace writes.
 */
export function* generateEdgarDay(options: GenerateOptions): Generator<Buffer, GeneratedTotals, undefined> {
  if (!Number.isSafeInteger(options.bytes) || options.bytes <= 0) {
    throw new RangeError(`bytes must be a positive integer, got ${options.bytes}`);
  }
  if (!Number.isSafeInteger(options.seed)) {
    throw new RangeError(`seed must be a safe integer, got ${options.seed}`);
  }
  const model = dayModel(options);
  const next = createRandom(model.seed);
  const target = options.bytes;

  let block = Buffer.allocUnsafe(BLOCK_BYTES);
  let pos = block.write(HEADER, 0, "latin1");
  let written = pos;
  let rows = 0;
  let hour = 0;
  while (written < target) {
    if (pos + MAX_ROW_BYTES > BLOCK_BYTES) {
      yield block.subarray(0, pos);
      block = Buffer.allocUnsafe(BLOCK_BYTES);
      pos = 0;
    }
    // Time follows progress through the file, so it is monotonic and spans the day at any size.
    const progress = written / target;
    while (progress >= model.hourEnds[hour]!) {
      hour++;
    }
    const intoHour = Math.min(
      3599,
      Math.floor((progress - model.hourStarts[hour]!) * model.secondsPerShare[hour]!),
    );
    const start = pos;
    pos = writeRow(model, next, hour * 3600 + intoHour, hour, block, pos);
    written += pos - start;
    rows++;
  }
  yield block.subarray(0, pos);
  return { bytes: written, rows };
}

/**
 * Writes the generated CSV to `path`, waiting for the file to drain so memory stays bounded.
 * `onProgress` hears the bytes generated so far after each block, against the target size.
 */
export async function generateEdgarFile(
  path: string,
  options: GenerateOptions,
  onProgress?: (bytesDone: number, bytesTotal: number) => void,
): Promise<GeneratedTotals> {
  // A few blocks may queue, so generating the next block overlaps writing the last.
  const out = createWriteStream(path, { highWaterMark: 4 * BLOCK_BYTES });
  try {
    const blocks = generateEdgarDay(options);
    let bytesDone = 0;
    for (let step = blocks.next(); ; step = blocks.next()) {
      if (step.done) {
        out.end();
        await finished(out);
        return step.value;
      }
      bytesDone += step.value.length;
      onProgress?.(Math.min(bytesDone, options.bytes), options.bytes);
      if (!out.write(step.value)) {
        await once(out, "drain");
      }
    }
  } catch (error) {
    out.destroy();
    throw error;
  }
}
