/**
 * A partial's wire form: a small self-describing binary layout, fast to write and to read
 * (typed-array views, no parsing of the bulky columns), uncompressed.
 *
 *   bytes 0-7    magic "EDGARPRT"
 *   bytes 8-11   version (uint32 LE), PARTIAL_VERSION
 *   bytes 12-15  length H of the header (uint32 LE)
 *   16 .. 16+H   the header: UTF-8 JSON of the partial with `aggregate.ipCounts` left out, plus
 *                `sections`: [{ name, type, length }] in the order they follow
 *   then         each section's bytes, every section starting at a multiple of 8
 *
 * Sections: `ipKeys` (u8, the keys' bytes back to back), `ipEnds` (u32, each key's end),
 * `ipCounts` (u32, or f64 when a count exceeds 2^32 - 1), all little-endian.
 *
 * An IP run a mapper spilled (SpilledIpRun) has the same layout with magic "EDGARRUN", version
 * IP_RUN_VERSION, and a header of { format, version, entries, sections }.
 */
import { createHash } from "node:crypto";
import type { Aggregate, IpCounts } from "./aggregate";
import { SPILL_KEY_SLACK } from "./byte-counter";
import { ContractError, IncompleteReadError } from "./errors";
import { PARTIAL_FORMAT, PARTIAL_VERSION, type RangePartial, type SpilledIpRun } from "./partial";

const MAGIC = "EDGARPRT";
const PREFIX_BYTES = 16;
const IP_RUN_MAGIC = "EDGARRUN";
const IP_RUN_FORMAT = "edgar-etl/ip-run";
export const IP_RUN_VERSION = 1;

type SectionType = "u8" | "u32" | "f64";
interface Section {
  readonly name: "ipKeys" | "ipEnds" | "ipCounts";
  readonly type: SectionType;
  readonly length: number;
}
const WIDTH: Record<SectionType, number> = { u8: 1, u32: 4, f64: 8 };

type HeaderDoc = Omit<RangePartial, "aggregate"> & {
  readonly aggregate: Omit<Aggregate, "ipCounts">;
  readonly sections: readonly Section[];
};

const align8 = (n: number) => (n + 7) & ~7;

/**
 * A partial's bytes: written into `into` when it is large enough (a mapper reuses one buffer
 * from range to range), else into a fresh buffer; either way the result views only the partial.
 */
export function encodePartial(partial: RangePartial, into?: Uint8Array): Uint8Array {
  const { ipCounts, ...aggregate } = partial.aggregate;
  const arrays = ipArrays(ipCounts);
  const doc: HeaderDoc = { ...partial, aggregate, sections: sectionsOf(arrays) };
  return layOut(MAGIC, PARTIAL_VERSION, doc, arrays, into);
}

/**
 * An IP run's object, to be written at `key`, and what its partial is to name it by. Written
 * into `into` when it is large enough (a mapper reuses one buffer for its runs), else into a
 * fresh buffer; either way `bytes` views only the object.
 */
export function encodeIpRun(
  ipCounts: IpCounts,
  key: string,
  into?: Uint8Array,
): { bytes: Uint8Array; run: SpilledIpRun } {
  const arrays = ipArrays(ipCounts);
  const entries = ipCounts.ends.length;
  const doc: IpRunDoc = {
    format: IP_RUN_FORMAT,
    version: IP_RUN_VERSION,
    entries,
    sections: sectionsOf(arrays),
  };
  const bytes = layOut(IP_RUN_MAGIC, IP_RUN_VERSION, doc, arrays, into);
  return { bytes, run: { key, entries, sha256: sha256Of(bytes) } };
}

/**
 * An IP run's object laid out ahead of its counts, for a counter to write them in place
 * (ByteCounter's SpillArrays): the ends, counts and keys sections (in that order: the keys last,
 * so that the room written past them is past the object), in `into` when it is large enough,
 * else in a fresh buffer. finish() writes the rest and names the run, to be written at `key`.
 */
export function ipRunInPlace(
  entries: number,
  keyBytes: number,
  into: Uint8Array,
): {
  readonly ends: Uint32Array;
  readonly counts: Uint32Array;
  readonly keys: Uint8Array;
  finish(key: string): { bytes: Uint8Array; run: SpilledIpRun };
} {
  const sections: Section[] = [
    { name: "ipEnds", type: "u32", length: entries },
    { name: "ipCounts", type: "u32", length: entries },
    { name: "ipKeys", type: "u8", length: keyBytes },
  ];
  const doc: IpRunDoc = { format: IP_RUN_FORMAT, version: IP_RUN_VERSION, entries, sections };
  const header = Buffer.from(JSON.stringify(doc), "utf8");
  const endsAt = align8(PREFIX_BYTES + header.length);
  const countsAt = align8(endsAt + 4 * entries);
  const keysAt = align8(countsAt + 4 * entries);
  const size = align8(keysAt + keyBytes);
  const buffer = bufferFor(Math.max(size, keysAt + keyBytes + SPILL_KEY_SLACK), into);
  const base = buffer.byteOffset;
  return {
    ends: new Uint32Array(buffer.buffer, base + endsAt, entries),
    counts: new Uint32Array(buffer.buffer, base + countsAt, entries),
    keys: buffer.subarray(keysAt, keysAt + keyBytes + SPILL_KEY_SLACK),
    finish(key) {
      const out = buffer.subarray(0, size);
      writePrefix(out, IP_RUN_MAGIC, IP_RUN_VERSION, header);
      out.fill(0, PREFIX_BYTES + header.length, endsAt);
      out.fill(0, endsAt + 4 * entries, countsAt);
      out.fill(0, countsAt + 4 * entries, keysAt);
      // What the last key was written with past the keys' end, within the object.
      out.fill(0, keysAt + keyBytes, size);
      return { bytes: out, run: { key, entries, sha256: sha256Of(out) } };
    },
  };
}

/**
 * The counts of an IP run's object, once checked to be the run `expected` names: bytes cut
 * short are an IncompleteReadError (read again), other bytes a ContractError.
 */
export function decodeIpRun(bytes: Uint8Array, expected: SpilledIpRun, where: string): IpCounts {
  const b = asBuffer(bytes);
  const { located, end } = readLayout<IpRunDoc>(b, where, {
    what: "IP run",
    magic: IP_RUN_MAGIC,
    format: IP_RUN_FORMAT,
    version: IP_RUN_VERSION,
  });
  if (b.length < end) {
    throw new IncompleteReadError(`IP run ${where} is truncated: it ends at byte ${b.length}, not ${end}`);
  }
  const digest = sha256Of(b);
  if (digest !== expected.sha256) {
    throw new ContractError(
      `IP run ${where} is not the run its partial names (SHA-256 ${digest}, not ${expected.sha256}): it was rewritten; rerun the execution`,
    );
  }
  const ipCounts = ipCountsAt(b, locateIpSections("IP run", located, where), where);
  if (ipCounts.ends.length !== expected.entries) {
    throw new ContractError(
      `IP run ${where} holds ${ipCounts.ends.length} entries; its partial names ${expected.entries}: rerun the execution`,
    );
  }
  return ipCounts;
}

const sha256Of = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("base64");

type IpRunDoc = {
  readonly format: typeof IP_RUN_FORMAT;
  readonly version: number;
  readonly entries: number;
  readonly sections: readonly Section[];
};

type Arrays = [Section["name"], SectionType, ArrayBufferView][];

/** The IP sections' arrays: 32-bit counts as they are, 64-bit ones narrowed when every one fits. */
function ipArrays(ipCounts: IpCounts): Arrays {
  const { counts } = ipCounts;
  const counts32 =
    counts instanceof Uint32Array
      ? counts
      : counts.every((c) => c <= 0xffff_ffff)
        ? Uint32Array.from(counts)
        : undefined;
  return [
    ["ipKeys", "u8", ipCounts.keys],
    ["ipEnds", "u32", ipCounts.ends],
    ["ipCounts", counts32 ? "u32" : "f64", counts32 ?? Float64Array.from(counts)],
  ];
}

const sectionsOf = (arrays: Arrays): Section[] =>
  arrays.map(([name, type, a]) => ({ name, type, length: a.byteLength / WIDTH[type] }));

/**
 * The prefix, the header `doc` as JSON and the arrays, each from a multiple of 8, the padding
 * zeroed: in `into` if it is large enough (every byte of the object written), else fresh (with
 * room to grow, when `into` was meant to be reused).
 */
function layOut(magic: string, version: number, doc: object, arrays: Arrays, into?: Uint8Array): Uint8Array {
  const header = Buffer.from(JSON.stringify(doc), "utf8");
  let size = align8(PREFIX_BYTES + header.length);
  for (const [, , a] of arrays) size += align8(a.byteLength);
  const out = into === undefined ? Buffer.alloc(size) : bufferFor(size, into);
  writePrefix(out, magic, version, header);
  let at = PREFIX_BYTES + header.length;
  for (const [, , a] of arrays) {
    out.fill(0, at, align8(at));
    at = align8(at);
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    at += a.byteLength;
  }
  out.fill(0, at, size);
  return out;
}

/**
 * `size` bytes to write an object into: the start of `into` when it is large enough (a buffer a
 * mapper reuses), else a fresh buffer with room for growth.
 */
function bufferFor(size: number, into: Uint8Array): Buffer {
  return into.length >= size
    ? Buffer.from(into.buffer, into.byteOffset, size)
    : Buffer.alloc(Math.ceil(size * 1.25)).subarray(0, size);
}

/** The 16-byte prefix (magic, version, header length) and the header after it. */
function writePrefix(out: Buffer, magic: string, version: number, header: Buffer): void {
  out.write(magic, 0, "latin1");
  out.writeUInt32LE(version, 8);
  out.writeUInt32LE(header.length, 12);
  header.copy(out, PREFIX_BYTES);
}

export function decodePartial(bytes: Uint8Array, where: string): RangePartial {
  return decodePartialAndSections(bytes, where).partial;
}

/**
 * Where a partial's IP sections lie in its bytes, as a decode found them: enough to take its IP
 * counts from the same bytes read again without parsing its header (a 250 MB range's header,
 * its server-error rows, is about 1.7 MB of JSON and 15 ms to parse).
 */
export interface IpSections {
  /** The partial's size and its header's, which a second read must find again. */
  readonly partialBytes: number;
  readonly headerBytes: number;
  readonly keysAt: number;
  readonly keys: number;
  readonly endsAt: number;
  readonly ends: number;
  readonly countsAt: number;
  readonly counts: number;
  readonly countsType: "u32" | "f64";
}

/** decodePartial, and where its IP sections lie, for ipCountsReadAgain. */
export function decodePartialAndSections(
  bytes: Uint8Array,
  where: string,
): { partial: RangePartial; ipSections: IpSections } {
  const b = asBuffer(bytes);
  const { doc, located, headerEnd } = readLayout<HeaderDoc>(b, where, {
    what: "partial",
    magic: MAGIC,
    format: PARTIAL_FORMAT,
    version: PARTIAL_VERSION,
  });
  const at = locateIpSections("partial", located, where);
  const ipSections: IpSections = { ...at, partialBytes: b.length, headerBytes: headerEnd - PREFIX_BYTES };
  const ipCounts = ipCountsAt(b, ipSections, where);
  const { sections: _, aggregate, ...rest } = doc;
  return { partial: { ...rest, aggregate: { ...aggregate, ipCounts } }, ipSections };
}

const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

type Located = Map<Section["name"], { section: Section; at: number }>;

/** A sectioned object's header, and where its sections lie, once its prefix and header check out. */
function readLayout<Doc extends { format: unknown; version: unknown; sections: readonly Section[] }>(
  b: Buffer,
  where: string,
  expected: { what: string; magic: string; format: string; version: number },
): { doc: Doc; located: Located; headerEnd: number; end: number } {
  const { what, magic, format, version: wanted } = expected;
  // A partial cut short in transit is an IncompleteReadError, which the state machine retries;
  // one from another program or version is a ContractError, which no retry mends.
  if (b.length < PREFIX_BYTES) {
    throw new IncompleteReadError(
      `${what} ${where} has ${b.length} bytes, less than its prefix: the read was cut short`,
    );
  }
  if (b.toString("latin1", 0, 8) !== magic) {
    throw new ContractError(
      `${what} ${where} is not an edgar-etl ${what} (no ${magic} magic); it was written by another program: rerun the execution`,
    );
  }
  const version = b.readUInt32LE(8);
  if (version !== wanted) {
    throw new ContractError(
      `${what} ${where} has version ${version}; this reducer reads ${format} version ${wanted}: rerun the whole execution with one deployed version`,
    );
  }
  const headerEnd = PREFIX_BYTES + b.readUInt32LE(12);
  if (headerEnd > b.length) {
    throw new IncompleteReadError(
      `${what} ${where} is truncated: its header needs bytes up to ${headerEnd}, the read returned ${b.length}`,
    );
  }
  let doc: Doc;
  try {
    doc = JSON.parse(b.toString("utf8", PREFIX_BYTES, headerEnd)) as Doc;
  } catch (e) {
    throw new ContractError(
      `${what} ${where} has a damaged header (${(e as Error).message}): rerun the execution`,
    );
  }
  if (doc.format !== format || doc.version !== wanted) {
    throw new ContractError(
      `${what} ${where} has format ${JSON.stringify(doc.format)} version ${JSON.stringify(doc.version)}; this reducer reads ${format} version ${wanted}`,
    );
  }
  const located: Located = new Map();
  let at = align8(headerEnd);
  for (const s of doc.sections) {
    const byteLength = s.length * WIDTH[s.type];
    if (at + byteLength > b.length) {
      throw new IncompleteReadError(
        `${what} ${where} is truncated: section ${s.name} needs bytes up to ${at + byteLength}, the object has ${b.length}: rerun the execution`,
      );
    }
    located.set(s.name, { section: s, at });
    at += align8(byteLength);
  }
  return { doc, located, headerEnd, end: at };
}

/** Where the three IP sections lie, of the right types. */
function locateIpSections(
  what: string,
  located: Located,
  where: string,
): Omit<IpSections, "partialBytes" | "headerBytes"> {
  const keys = located.get("ipKeys");
  const ends = located.get("ipEnds");
  const counts = located.get("ipCounts");
  const countsType = counts?.section.type;
  if (
    keys?.section.type !== "u8" ||
    ends?.section.type !== "u32" ||
    counts === undefined ||
    (countsType !== "u32" && countsType !== "f64")
  ) {
    throw new ContractError(`${what} ${where} lacks its ip sections: rerun the execution`);
  }
  return {
    keysAt: keys.at,
    keys: keys.section.length,
    endsAt: ends.at,
    ends: ends.section.length,
    countsAt: counts.at,
    counts: counts.section.length,
    countsType,
  };
}

/**
 * The IP counts of a partial read again, from where its first decode found them
 * (decodePartialAndSections), its header not parsed again; undefined when these bytes are not
 * laid out as those were (another size, header length, magic or version: the partial changed).
 * The caller decodes such bytes whole, which tells a read cut short from a partial rewritten.
 */
export function ipCountsReadAgain(
  bytes: Uint8Array,
  sections: IpSections,
  where: string,
): IpCounts | undefined {
  const b = asBuffer(bytes);
  if (
    b.length !== sections.partialBytes ||
    b.toString("latin1", 0, 8) !== MAGIC ||
    b.readUInt32LE(8) !== PARTIAL_VERSION ||
    b.readUInt32LE(12) !== sections.headerBytes
  ) {
    return undefined;
  }
  return ipCountsAt(b, sections, where);
}

/** The IP counts where `sections` says they lie in b, as views, once checked to agree. */
function ipCountsAt(
  b: Buffer,
  sections: Omit<IpSections, "partialBytes" | "headerBytes">,
  where: string,
): IpCounts {
  const keys = view(b, sections.keysAt, "u8", sections.keys) as Uint8Array;
  const ends = view(b, sections.endsAt, "u32", sections.ends) as Uint32Array;
  const counts = view(b, sections.countsAt, sections.countsType, sections.counts) as
    | Uint32Array
    | Float64Array;
  checkIpSections(keys, ends, counts, where);
  return { keys, ends, counts };
}

/**
 * The IP sections agree: a count per key, and the last key ending at the keys' last byte. The
 * merge sizes its output from the keys' bytes and refuses key ends that go backwards as it reads
 * them (ip-merge.ts), so the check here is constant time: a partial folded in early is decoded
 * twice, and a pass over its ends on each decode cost ~10 ms on the reduce's serial tail.
 */
function checkIpSections(
  keys: Uint8Array,
  ends: Uint32Array,
  counts: Float64Array | Uint32Array,
  where: string,
): void {
  const n = ends.length;
  const last = n === 0 ? 0 : ends[n - 1]!;
  if (counts.length !== n || last !== keys.length) {
    throw new ContractError(
      `partial ${where} has IP sections that disagree (${n} keys ending at byte ${last} of ${keys.length} key bytes, ${counts.length} counts): rerun the execution`,
    );
  }
}

/** A typed view of `length` elements at byte `at`; copied when `at` is not aligned in memory. */
function view(b: Buffer, at: number, type: SectionType, length: number): ArrayBufferView {
  const byteOffset = b.byteOffset + at;
  const width = WIDTH[type];
  const aligned = byteOffset % width === 0;
  const source = aligned ? b.buffer : b.buffer.slice(byteOffset, byteOffset + length * width);
  const offset = aligned ? byteOffset : 0;
  if (type === "u8") return new Uint8Array(source, offset, length);
  if (type === "u32") return new Uint32Array(source, offset, length);
  return new Float64Array(source, offset, length);
}
