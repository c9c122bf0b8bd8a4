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
 */
import type { Aggregate, IpCounts } from "./aggregate";
import { ContractError, IncompleteReadError } from "./errors";
import { PARTIAL_FORMAT, PARTIAL_VERSION, type RangePartial } from "./partial";

const MAGIC = "EDGARPRT";
const PREFIX_BYTES = 16;

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

export function encodePartial(partial: RangePartial): Uint8Array {
  const { ipCounts, ...aggregate } = partial.aggregate;
  const { counts } = ipCounts;
  // 32-bit counts as they are; 64-bit ones narrowed when every one fits.
  const counts32 =
    counts instanceof Uint32Array
      ? counts
      : counts.every((c) => c <= 0xffff_ffff)
        ? Uint32Array.from(counts)
        : undefined;
  const arrays: [Section["name"], SectionType, ArrayBufferView][] = [
    ["ipKeys", "u8", ipCounts.keys],
    ["ipEnds", "u32", ipCounts.ends],
    ["ipCounts", counts32 ? "u32" : "f64", counts32 ?? Float64Array.from(counts)],
  ];
  const doc: HeaderDoc = {
    ...partial,
    aggregate,
    sections: arrays.map(([name, type, a]) => ({ name, type, length: a.byteLength / WIDTH[type] })),
  };
  const header = Buffer.from(JSON.stringify(doc), "utf8");
  let size = align8(PREFIX_BYTES + header.length);
  for (const [, , a] of arrays) size += align8(a.byteLength);
  const out = Buffer.alloc(size);
  out.write(MAGIC, 0, "latin1");
  out.writeUInt32LE(PARTIAL_VERSION, 8);
  out.writeUInt32LE(header.length, 12);
  header.copy(out, PREFIX_BYTES);
  let at = align8(PREFIX_BYTES + header.length);
  for (const [, , a] of arrays) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    at += align8(a.byteLength);
  }
  return out;
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
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // A partial cut short in transit is an IncompleteReadError, which the state machine retries;
  // one from another program or version is a ContractError, which no retry mends.
  if (b.length < PREFIX_BYTES) {
    throw new IncompleteReadError(
      `partial ${where} has ${b.length} bytes, less than its prefix: the read was cut short`,
    );
  }
  if (b.toString("latin1", 0, 8) !== MAGIC) {
    throw new ContractError(
      `partial ${where} is not an edgar-etl partial (no ${MAGIC} magic); it was written by another program: rerun the execution`,
    );
  }
  const version = b.readUInt32LE(8);
  if (version !== PARTIAL_VERSION) {
    throw new ContractError(
      `partial ${where} has version ${version}; this reducer reads ${PARTIAL_FORMAT} version ${PARTIAL_VERSION}: rerun the whole execution with one deployed version`,
    );
  }
  const headerEnd = PREFIX_BYTES + b.readUInt32LE(12);
  if (headerEnd > b.length) {
    throw new IncompleteReadError(
      `partial ${where} is truncated: its header needs bytes up to ${headerEnd}, the read returned ${b.length}`,
    );
  }
  let doc: HeaderDoc;
  try {
    doc = JSON.parse(b.toString("utf8", PREFIX_BYTES, headerEnd)) as HeaderDoc;
  } catch (e) {
    throw new ContractError(
      `partial ${where} has a damaged header (${(e as Error).message}): rerun the execution`,
    );
  }
  if (doc.format !== PARTIAL_FORMAT || doc.version !== PARTIAL_VERSION) {
    throw new ContractError(
      `partial ${where} has format ${JSON.stringify(doc.format)} version ${JSON.stringify(doc.version)}; this reducer reads ${PARTIAL_FORMAT} version ${PARTIAL_VERSION}`,
    );
  }
  const located = new Map<Section["name"], { section: Section; at: number }>();
  let at = align8(headerEnd);
  for (const s of doc.sections) {
    const byteLength = s.length * WIDTH[s.type];
    if (at + byteLength > b.length) {
      throw new IncompleteReadError(
        `partial ${where} is truncated: section ${s.name} needs bytes up to ${at + byteLength}, the object has ${b.length}: rerun the execution`,
      );
    }
    located.set(s.name, { section: s, at });
    at += align8(byteLength);
  }
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
    throw new ContractError(`partial ${where} lacks its ip sections: rerun the execution`);
  }
  const ipSections: IpSections = {
    partialBytes: b.length,
    headerBytes: headerEnd - PREFIX_BYTES,
    keysAt: keys.at,
    keys: keys.section.length,
    endsAt: ends.at,
    ends: ends.section.length,
    countsAt: counts.at,
    counts: counts.section.length,
    countsType,
  };
  const ipCounts = ipCountsAt(b, ipSections, where);
  const { sections: _, aggregate, ...rest } = doc;
  return { partial: { ...rest, aggregate: { ...aggregate, ipCounts } }, ipSections };
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
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
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
function ipCountsAt(b: Buffer, sections: IpSections, where: string): IpCounts {
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
