/**
 * The partial's wire form: a round trip keeps every field; a partial of another version or
 * program is refused (ContractError, never retried); one cut short at any byte is an
 * IncompleteReadError (retried), never a silent partial.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { IpCounts } from "../../functions/core/aggregate";
import { ContractError, IncompleteReadError } from "../../functions/core/errors";
import { PARTIAL_VERSION } from "../../functions/core/partial";
import {
  decodeIpRun,
  decodePartial,
  decodePartialAndSections,
  encodeIpRun,
  encodePartial,
  IP_RUN_VERSION,
  ipCountsReadAgain,
  ipRunInPlace,
} from "../../functions/core/partial-codec";
import { withFloatCounts } from "../helpers/decoded-partial";
import { csvLine, EDGAR_HEADER, edgarRow, utf8 } from "../helpers/edgar-csv";
import { runCore } from "../helpers/run-core";

async function somePartial() {
  const rows = [
    edgarRow({ ip: "1.2.3.a", code: "503.0", extention: "日本.txt" }),
    edgarRow({ ip: "1.2.3.a" }),
    edgarRow({ ip: "a-long-host-name-past-fifteen-bytes", code: "500" }),
    "not,a,record",
  ];
  const file = utf8(
    `${EDGAR_HEADER}\n${rows.map((r) => (typeof r === "string" ? r : csvLine(r))).join("\n")}\n`,
  );
  const run = await runCore({ bytes: file });
  return run.partials[0]!;
}

describe("encodePartial / decodePartial", () => {
  it("round-trips every field, typed arrays included", async () => {
    const partial = await somePartial();
    const back = decodePartial(encodePartial(partial), "p");
    expect(withFloatCounts(back)).toEqual(partial);
    // Counts that fit in 32 bits are read as the view they travel in, not copied out.
    expect(back.aggregate.ipCounts.counts).toBeInstanceOf(Uint32Array);
  });

  it("refuses another version, another program's bytes and a foreign header format", async () => {
    const bytes = Buffer.from(encodePartial(await somePartial()));
    const otherVersion = Buffer.from(bytes);
    otherVersion.writeUInt32LE(PARTIAL_VERSION + 1, 8);
    expect(() => decodePartial(otherVersion, "p")).toThrow(ContractError);
    expect(() => decodePartial(otherVersion, "p")).toThrow(
      `version ${PARTIAL_VERSION + 1}; this reducer reads edgar-etl/partial version ${PARTIAL_VERSION}`,
    );
    const foreign = Buffer.from(bytes);
    foreign.write("NOTOURS!", 0, "latin1");
    expect(() => decodePartial(foreign, "p")).toThrow(ContractError);
    const gzippedJson = Buffer.from([0x1f, 0x8b, ...bytes.subarray(2)]);
    expect(() => decodePartial(gzippedJson, "p")).toThrow(/no EDGARPRT magic/);
  });

  it("calls a partial cut short at any length an incomplete read, which is retried", async () => {
    const bytes = encodePartial(await somePartial());
    for (let length = 0; length < bytes.length; length++) {
      const cut = bytes.subarray(0, length);
      let error: unknown;
      try {
        decodePartial(cut, "p");
      } catch (e) {
        error = e;
      }
      // Only the zero padding after the last section can go without notice.
      if (error === undefined) {
        expect(length).toBeGreaterThan(bytes.length - 8);
        continue;
      }
      expect(error, `cut to ${length} bytes`).toBeInstanceOf(IncompleteReadError);
      expect((error as Error).message, `cut to ${length} bytes`).toMatch(
        /^partial p (has \d+ bytes, less than its prefix: the read was cut short|is truncated: its header needs bytes up to \d+, the read returned \d+|is truncated: section ip\w+ needs bytes up to \d+, the object has \d+: rerun the execution)$/,
      );
    }
  });

  it("keeps counts past 2^32 - 1 exactly, in f64 only when a count needs it", async () => {
    const partial = await somePartial();
    const withCounts = (counts: number[]) => ({
      ...partial,
      aggregate: {
        ...partial.aggregate,
        ipCounts: { ...partial.aggregate.ipCounts, counts: Float64Array.from(counts) },
      },
    });
    const n = partial.aggregate.ipCounts.counts.length;
    const fits = withCounts(Array.from({ length: n }, () => 0xffff_ffff));
    const needs64 = withCounts(Array.from({ length: n }, (_, i) => (i === 0 ? 2 ** 40 + 3 : 1)));
    // Counts that fit come back as the u32 view they travel in, the others as f64.
    const decodedFits = decodePartial(encodePartial(fits), "p");
    expect(decodedFits.aggregate.ipCounts.counts).toBeInstanceOf(Uint32Array);
    expect(withFloatCounts(decodedFits)).toEqual(fits);
    expect(decodePartial(encodePartial(needs64), "p")).toEqual(needs64);
    // The section type is in the header: u32 while every count fits, f64 once one does not.
    const countsType = (p: typeof fits) => {
      const bytes = Buffer.from(encodePartial(p));
      const doc = JSON.parse(bytes.subarray(16, 16 + bytes.readUInt32LE(12)).toString("utf8"));
      return doc.sections.find((x: { name: string }) => x.name === "ipCounts").type;
    };
    expect(countsType(fits)).toBe("u32");
    expect(countsType(needs64)).toBe("f64");
  });

  it("refuses a damaged header, a foreign format or version inside it, and missing IP sections", async () => {
    const bytes = Buffer.from(encodePartial(await somePartial()));
    const headerLength = bytes.readUInt32LE(12);
    const header = bytes.subarray(16, 16 + headerLength).toString("utf8");
    const withHeader = (edited: string) => {
      expect(Buffer.byteLength(edited)).toBe(headerLength);
      const copy = Buffer.from(bytes);
      copy.write(edited, 16, "utf8");
      return copy;
    };
    const damaged = withHeader(`#${header.slice(1)}`);
    expect(() => decodePartial(damaged, "p")).toThrow(ContractError);
    expect(() => decodePartial(damaged, "p")).toThrow(
      /^partial p has a damaged header \(.+\): rerun the execution$/,
    );
    const otherFormat = withHeader(header.replace('"edgar-etl/partial"', '"edgar-etl/partiaX"'));
    expect(() => decodePartial(otherFormat, "p")).toThrow(
      new RegExp(`has format "edgar-etl/partiaX" version ${PARTIAL_VERSION}; this reducer reads`),
    );
    const otherVersion = withHeader(
      header.replace(`"version":${PARTIAL_VERSION}`, `"version":${PARTIAL_VERSION + 1}`),
    );
    expect(() => decodePartial(otherVersion, "p")).toThrow(ContractError);
    const noKeys = withHeader(header.replace('"ipKeys"', '"ipKeyz"'));
    expect(() => decodePartial(noKeys, "p")).toThrow(
      /^partial p lacks its ip sections: rerun the execution$/,
    );
    // An IP section of a type not its own (here one no reader knows) is not it either.
    const section = (name: string) => new RegExp(`"name":"${name}","type":"[a-z0-9]+"`);
    expect(header).toMatch(section("ipKeys"));
    for (const edited of [
      header.replace(section("ipKeys"), '"name":"ipKeys","type":"u9"'),
      header.replace(section("ipEnds"), '"name":"ipEnds","type":"u08"'),
      header.replace(section("ipCounts"), '"name":"ipCounts","type":"u08"'),
    ]) {
      expect(edited).not.toBe(header);
      expect(() => decodePartial(withHeader(edited), "p")).toThrow(
        /^partial p lacks its ip sections: rerun the execution$/,
      );
    }
  });

  it("refuses IP sections that disagree: ends short of the keys or past them, counts missing", async () => {
    const partial = await somePartial();
    const keys = Buffer.from("1.2.3.4" + "5.6.7.8" + "9.9.9.9");
    const withIps = (ends: number[], counts: number[]) =>
      encodePartial({
        ...partial,
        aggregate: {
          ...partial.aggregate,
          ipCounts: { keys, ends: Uint32Array.from(ends), counts: Uint32Array.from(counts) },
        },
      });
    expect(decodePartial(withIps([7, 14, 21], [1, 2, 3]), "p").aggregate.ipCounts.ends.length).toBe(3);
    for (const [ends, counts] of [
      [
        [7, 14, 20],
        [1, 2, 3],
      ],
      [
        [7, 14, 22],
        [1, 2, 3],
      ],
      [
        [7, 14, 21],
        [1, 2],
      ],
    ] as [number[], number[]][]) {
      expect(
        () => decodePartial(withIps(ends, counts), "p"),
        `ends ${ends}, ${counts.length} counts`,
      ).toThrow(/^partial p has IP sections that disagree \(.+\): rerun the execution$/);
    }
  });

  it("reads a partial wherever it lies in memory, misaligned included", async () => {
    const partial = await somePartial();
    const bytes = encodePartial(partial);
    for (const shift of [1, 2, 3, 4, 5, 7]) {
      const memory = new Uint8Array(bytes.length + shift);
      memory.set(bytes, shift);
      expect(withFloatCounts(decodePartial(memory.subarray(shift), "p")), `at offset ${shift}`).toEqual(
        partial,
      );
    }
  });
});

describe("ipCountsReadAgain", () => {
  it("takes the IP counts of the same bytes read again from where the first decode found them", async () => {
    const partial = await somePartial();
    const bytes = encodePartial(partial);
    const first = decodePartialAndSections(bytes, "p");
    const { ipSections } = first;
    expect(ipSections.countsType).toBe("u32");
    for (const shift of [0, 1, 3, 4]) {
      const memory = new Uint8Array(bytes.length + shift);
      memory.set(bytes, shift);
      const again = ipCountsReadAgain(memory.subarray(shift), ipSections, "p");
      expect(again, `at offset ${shift}`).toEqual(first.partial.aggregate.ipCounts);
      expect(
        withFloatCounts({ ...first.partial, aggregate: { ...first.partial.aggregate, ipCounts: again! } }),
      ).toEqual(partial);
    }
    // f64 counts are found as f64.
    const wide = {
      ...partial,
      aggregate: {
        ...partial.aggregate,
        ipCounts: {
          ...partial.aggregate.ipCounts,
          counts: Float64Array.from(partial.aggregate.ipCounts.counts, (c, i) => (i === 0 ? 2 ** 40 : c)),
        },
      },
    };
    const wideBytes = encodePartial(wide);
    const wideSections = decodePartialAndSections(wideBytes, "p").ipSections;
    expect(wideSections.countsType).toBe("f64");
    expect(ipCountsReadAgain(Buffer.from(wideBytes), wideSections, "p")).toEqual(wide.aggregate.ipCounts);
  });

  it("finds nothing in bytes not laid out as the first read's (another size, header, magic or version)", async () => {
    const partial = await somePartial();
    const bytes = Buffer.from(encodePartial(partial));
    const { ipSections } = decodePartialAndSections(bytes, "p");
    const longer = Buffer.concat([bytes, Buffer.alloc(8)]);
    expect(ipCountsReadAgain(longer, ipSections, "p")).toBeUndefined();
    for (const cut of [1, 3, 8, bytes.length]) {
      expect(ipCountsReadAgain(bytes.subarray(0, bytes.length - cut), ipSections, "p")).toBeUndefined();
    }
    const otherHeader = Buffer.from(bytes);
    otherHeader.writeUInt32LE(ipSections.headerBytes - 1, 12);
    expect(ipCountsReadAgain(otherHeader, ipSections, "p")).toBeUndefined();
    const foreign = Buffer.from(bytes);
    foreign.write("NOTOURS!", 0, "latin1");
    expect(ipCountsReadAgain(foreign, ipSections, "p")).toBeUndefined();
    const otherVersion = Buffer.from(bytes);
    otherVersion.writeUInt32LE(PARTIAL_VERSION + 1, 8);
    expect(ipCountsReadAgain(otherVersion, ipSections, "p")).toBeUndefined();
  });

  it("refuses IP sections that disagree in the bytes read again", async () => {
    const bytes = Buffer.from(encodePartial(await somePartial()));
    const { ipSections } = decodePartialAndSections(bytes, "p");
    // The last key's end moved off the keys' last byte.
    const damaged = Buffer.from(bytes);
    const lastEndAt = ipSections.endsAt + 4 * (ipSections.ends - 1);
    damaged.writeUInt32LE(damaged.readUInt32LE(lastEndAt) - 1, lastEndAt);
    expect(() => ipCountsReadAgain(damaged, ipSections, "p")).toThrow(ContractError);
    expect(() => ipCountsReadAgain(damaged, ipSections, "p")).toThrow(
      /^partial p has IP sections that disagree/,
    );
  });
});

describe("encoding into a buffer to reuse", () => {
  it("writes every byte a fresh encoding has, padding included, into a dirty buffer large enough, and grows past a small one", async () => {
    const partial = await somePartial();
    const fresh = Buffer.from(encodePartial(partial));
    const dirty = new Uint8Array(fresh.length + 100).fill(0xa5);
    const reused = encodePartial(partial, dirty);
    expect(reused.buffer).toBe(dirty.buffer);
    expect(Buffer.from(reused).equals(fresh)).toBe(true);
    const small = new Uint8Array(10).fill(0xa5);
    const grown = encodePartial(partial, small);
    expect(Buffer.from(grown).equals(fresh)).toBe(true);
    expect(grown.buffer.byteLength).toBeGreaterThan(fresh.length);
    const keys = utf8("1.2.3.a10.0.0.z");
    const run = { keys, ends: Uint32Array.of(7, keys.length), counts: Uint32Array.of(3, 1) };
    const runInto = encodeIpRun(run, "k", new Uint8Array(4096).fill(0xff));
    expect(runInto.run).toEqual(encodeIpRun(run, "k").run);
  });
});

describe("ipRunInPlace", () => {
  /** A run laid out in `into` and written as a counter writes it: keys with 16 bytes past them. */
  function writeInPlace(into: Uint8Array) {
    const keys = utf8("1.2.3.a10.0.0.zzlong-host-name-past-fifteen");
    const ends = Uint32Array.of(7, 15, keys.length);
    const laid = ipRunInPlace(3, keys.length, into);
    expect(laid.keys.length).toBe(keys.length + 16);
    laid.keys.set(keys);
    laid.keys.fill(0xee, keys.length); // what a padded write leaves past the last key
    laid.ends.set(ends);
    laid.counts.set([3, 1, 7]);
    return { ...laid.finish("k"), keys, ends };
  }

  it("decodes as the run its counter wrote, and writes the same bytes into a dirty buffer as into a clean one", () => {
    const clean = writeInPlace(new Uint8Array(0));
    expect(decodeIpRun(clean.bytes, clean.run, "r")).toEqual({
      keys: clean.keys,
      ends: clean.ends,
      counts: Uint32Array.of(3, 1, 7),
    });
    const dirtyBuffer = new Uint8Array(4096).fill(0xa5);
    const dirty = writeInPlace(dirtyBuffer);
    expect(dirty.bytes.buffer).toBe(dirtyBuffer.buffer);
    expect(Buffer.from(dirty.bytes).equals(Buffer.from(clean.bytes))).toBe(true);
    expect(dirty.run).toEqual(clean.run);
  });
});

describe("encodeIpRun / decodeIpRun", () => {
  const run = (): IpCounts => {
    const keys = utf8("1.2.3.a10.0.0.za-long-host-name-past-fifteen-bytes");
    return { keys, ends: Uint32Array.of(7, 15, keys.length), counts: Uint32Array.of(3, 1, 4_000_000_000) };
  };

  it("round-trips a run's counts, 32-bit and 64-bit, and names it by key, entries and digest", () => {
    const { bytes, run: named } = encodeIpRun(run(), "k");
    expect(named).toEqual({
      key: "k",
      entries: 3,
      sha256: createHash("sha256").update(bytes).digest("base64"),
    });
    expect(decodeIpRun(bytes, named, "r")).toEqual(run());
    const wide = { ...run(), counts: Float64Array.of(1, 2, 2 ** 40) };
    const encodedWide = encodeIpRun(wide, "k");
    expect(Array.from(decodeIpRun(encodedWide.bytes, encodedWide.run, "r").counts)).toEqual([1, 2, 2 ** 40]);
    const empty = { keys: new Uint8Array(0), ends: new Uint32Array(0), counts: new Uint32Array(0) };
    const encodedEmpty = encodeIpRun(empty, "k");
    expect(decodeIpRun(encodedEmpty.bytes, encodedEmpty.run, "r")).toEqual(empty);
  });

  it("refuses a run other than the one its partial names: another digest, other entries", () => {
    const { bytes, run: named } = encodeIpRun(run(), "k");
    const other = encodeIpRun({ ...run(), counts: Uint32Array.of(3, 1, 4_000_000_001) }, "k");
    expect(() => decodeIpRun(other.bytes, named, "r")).toThrow(ContractError);
    expect(() => decodeIpRun(other.bytes, named, "r")).toThrow(
      `IP run r is not the run its partial names (SHA-256 ${other.run.sha256}, not ${named.sha256}): it was rewritten; rerun the execution`,
    );
    expect(() => decodeIpRun(bytes, { ...named, entries: 2 }, "r")).toThrow(
      "IP run r holds 3 entries; its partial names 2: rerun the execution",
    );
  });

  it("refuses a partial read as a run and a run of another version; a run cut short at any byte is read again", () => {
    const { bytes, run: named } = encodeIpRun(run(), "k");
    expect(() => decodeIpRun(encodePartial(emptyishPartial()), named, "r")).toThrow(
      /^IP run r is not an edgar-etl IP run \(no EDGARRUN magic\)/,
    );
    const otherVersion = Buffer.from(bytes);
    otherVersion.writeUInt32LE(IP_RUN_VERSION + 1, 8);
    expect(() => decodeIpRun(otherVersion, named, "r")).toThrow(ContractError);
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(() => decodeIpRun(bytes.subarray(0, bytes.length - cut), named, "r")).toThrow(
        IncompleteReadError,
      );
    }
    // Cut in the last section's padding: every section is there, the object is not whole.
    expect(() => decodeIpRun(bytes.subarray(0, bytes.length - 1), named, "r")).toThrow(
      `IP run r is truncated: it ends at byte ${bytes.length - 1}, not ${bytes.length}`,
    );
    // A run without its IP sections names itself as a run.
    const noSections = Buffer.from(bytes);
    const header = noSections.toString("utf8", 16, 16 + noSections.readUInt32LE(12));
    Buffer.from(header.replace('"ipCounts"', '"ipCountz"'), "utf8").copy(noSections, 16);
    const digest = createHash("sha256").update(noSections).digest("base64");
    expect(() => decodeIpRun(noSections, { ...named, sha256: digest }, "r")).toThrow(
      "IP run r lacks its ip sections: rerun the execution",
    );
  });
});

function emptyishPartial() {
  const empty = { keys: new Uint8Array(0), ends: new Uint32Array(0), counts: new Uint32Array(0) };
  return {
    format: "edgar-etl/partial",
    version: PARTIAL_VERSION,
    runId: "r",
    index: 0,
    start: 0,
    end: 0,
    firstRecordAt: 0,
    endedAt: 0,
    lines: 0,
    aggregate: { ipCounts: empty },
  } as never;
}
