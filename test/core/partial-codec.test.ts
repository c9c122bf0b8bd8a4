/**
 * The partial's wire form: a round trip keeps every field; a partial of another version or
 * program is refused (ContractError, never retried); one cut short at any byte is an
 * IncompleteReadError (retried), never a silent partial.
 */
import { describe, expect, it } from "vitest";
import { ContractError, IncompleteReadError } from "../../functions/core/errors";
import { PARTIAL_VERSION } from "../../functions/core/partial";
import { decodePartial, encodePartial } from "../../functions/core/partial-codec";
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
    expect(back).toEqual(partial);
    expect(back.aggregate.ipCounts.counts).toBeInstanceOf(Float64Array);
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
    for (let length = 0; length < bytes.length; length += Math.max(1, Math.floor(length / 7))) {
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
    }
  });
});
