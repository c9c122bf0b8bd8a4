/**
 * What the core does with input that is not a clean EDGAR log: objects it must refuse before any
 * mapper starts (docs/architecture.md §3), headers it must accept, and every corrupt-record reason
 * in each of the three modes.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CorruptMode, DEFAULT_RUN_OPTIONS, type RunOptions } from "../../functions/contracts";
import { ipCountList } from "../../functions/core/aggregate";
import { memoryByteSource } from "../../functions/core/byte-source";
import { CorruptRecordError, InputRejectedError } from "../../functions/core/errors";
import { readHeader } from "../../functions/core/header";
import { tableRows } from "../../functions/core/tables";
import { runLocal } from "../../local/run-local";
import { openDuck, sqlText } from "../helpers/duckdb";
import { edgarCsvArb, renderCsv } from "../helpers/edgar-arbitraries";
import { bytesOf, csvLine, EDGAR_COLUMNS, type EdgarColumn, edgarRow, utf8 } from "../helpers/edgar-csv";
import { heavyProperty } from "../helpers/property";
import { runCore } from "../helpers/run-core";

const EXPECTED_HEADER = EDGAR_COLUMNS.join(",");

async function rejection(bytes: Uint8Array, chunkBytes = 1 << 20): Promise<InputRejectedError> {
  const error = await readHeader(memoryByteSource(bytes, "s3://in/day.csv", chunkBytes)).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InputRejectedError);
  const message = (error as Error).message;
  expect(message, "one line").not.toMatch(/[\r\n]/);
  expect(message).toContain("s3://in/day.csv");
  return error as InputRejectedError;
}

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "edgar-bad-input-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** The local pipeline (plan -> map -> reduce over files) on `bytes`, written to a temp file. */
async function runLocalOn(name: string, bytes: Uint8Array, options: Partial<RunOptions> = {}) {
  const dir = await mkdtemp(join(tmp, "run-"));
  const file = join(dir, name);
  await writeFile(file, bytes);
  const outDir = join(dir, "out");
  const outcome = await runLocal({
    file,
    outDir,
    options: { ...DEFAULT_RUN_OPTIONS, ...options },
    concurrency: 2,
    runId: "bad-input",
  });
  return { ...outcome, outDir };
}

describe("objects the planner rejects, with a one-line message naming the problem", () => {
  it("an empty object: says it is empty and shows the expected header", async () => {
    const e = await rejection(new Uint8Array(0));
    expect(e.message).toMatch(/is empty \(0 bytes\)/);
    expect(e.message).toContain(EXPECTED_HEADER);
  });

  it("a renamed column: names the missing and the unexpected one", async () => {
    const header = EXPECTED_HEADER.replace("extention", "extension");
    const e = await rejection(utf8(`${header}\n${csvLine(edgarRow())}\n`));
    expect(e.message).toMatch(/missing extention[;)]/);
    expect(e.message).toContain('unexpected "extension"');
    expect(e.message).not.toMatch(/missing [^;]*\bip\b/);
  });

  it("a dropped column, an extra one and a duplicated one are each named", async () => {
    const dropped = await rejection(utf8(`${EDGAR_COLUMNS.slice(0, 14).join(",")}\n`));
    expect(dropped.message).toMatch(/missing browser[;)]/);
    const extra = await rejection(utf8(`${EXPECTED_HEADER},referer\n`));
    expect(extra.message).toContain('unexpected "referer"');
    expect(extra.message).not.toContain("missing");
    const duplicated = await rejection(utf8(`${EXPECTED_HEADER},ip\n`));
    expect(duplicated.message).toMatch(/duplicated ip/);
  });

  it("binary garbage: rejected as not a CSV header", async () => {
    // Prepare: fixed pseudo-random bytes with an LF early and invalid UTF-8 before it
    const garbage = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251);
    garbage[3] = 0xff;
    garbage[100] = 10;

    const e = await rejection(garbage);

    expect(e.message).toMatch(/not UTF-8 text.*is this a CSV file/);
  });

  it("over 64 KiB without a line break: rejected, saying there is no header", async () => {
    const e = await rejection(new Uint8Array(70_000).fill(0x41));
    expect(e.message).toMatch(/no line break in the first 65536 bytes/);
  });

  it("any bytes that are not an EDGAR header are rejected with a one-line InputRejectedError", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ minLength: 1, maxLength: 300 }),
          fc.string({ unit: "binary", minLength: 1, maxLength: 200 }).map(utf8),
          fc
            .string({ unit: fc.constantFrom("ip", "date", ",", '"', "\r", "\n", " ", "\uFEFF", "x") })
            .map(utf8),
        ),
        fc.integer({ min: 1, max: 64 }),
        async (bytes, chunkBytes) => {
          fc.pre(bytes.length > 0);
          await rejection(bytes, chunkBytes);
        },
      ),
      { seed: 7, numRuns: 300 },
    );
  });

  it("gzip and zip objects not named so: rejected, saying how to name them to be inflated", async () => {
    const csv = utf8(`${EXPECTED_HEADER}\n${csvLine(edgarRow())}\n`);
    const gzip = await rejection(gzipSync(csv));
    expect(gzip.message).toMatch(
      /gzip-compressed but not named so; name it \*\.gz so that it is inflated first/,
    );
    const zipHead = bytesOf(
      Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0, 8, 0]),
      "log20170630.csv\n",
    );
    const zip = await rejection(zipHead);
    expect(zip.message).toMatch(/zip-compressed but not named so; name it \*\.zip/);
  });

  // Regression: the magic number used to be read from the first chunk only, so 1-3 byte chunks
  // skipped the check (zip was then rejected as "header does not match ... unexpected PK...").
  it("compressed objects are recognised whatever the source's chunk size", async () => {
    const gzip = gzipSync(utf8(`${EXPECTED_HEADER}\n`));
    const zipHead = bytesOf(Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0, 8, 0]), "log.csv\n");
    for (const chunkBytes of [1, 2, 3]) {
      expect((await rejection(gzip, chunkBytes)).message).toMatch(/gzip-compressed/);
      expect((await rejection(zipHead, chunkBytes)).message).toMatch(/zip-compressed/);
    }
  });
});

describe("headers the planner accepts", () => {
  it.each([
    ["with LF", `${EXPECTED_HEADER}\n`],
    ["with CRLF", `${EXPECTED_HEADER}\r\n`],
    ["without a final newline", EXPECTED_HEADER],
    ["ending in a lone CR", `${EXPECTED_HEADER}\r`],
  ])("header only %s: no ranges, 0 rows, empty tables", async (_, text) => {
    // Act
    const r = await runCore({ bytes: utf8(text), chunkBytes: 5 });

    // Assess
    expect(r.plan.ranges).toEqual([]);
    expect(r.merged.rows).toEqual({ read: 0, ok: 0, corrupt: 0, sampledOut: 0, blank: 0 });
    for (const t of Object.values(r.tables)) expect(tableRows(t)).toEqual([]);
  });

  it("header only, through the local pipeline: 0 rows, four empty Parquet tables, and the rows check fails", async () => {
    for (const [name, text] of [
      ["header-lf.csv", `${EXPECTED_HEADER}\n`],
      ["header-bare.csv", EXPECTED_HEADER],
    ] as const) {
      // Act
      const { result, validation, outDir } = await runLocalOn(name, utf8(text));

      // Assess
      expect(result.status).toBe("fail");
      expect(result.failedChecks).toEqual(["requireRows"]);
      expect(result.rows).toEqual({ read: 0, ok: 0, corrupt: 0, sampledOut: 0, blank: 0 });
      expect(validation.fields.present).toEqual([...EDGAR_COLUMNS]);
      const duck = await openDuck();
      try {
        const stem = name.replace(".csv", "");
        for (const table of ["server_errors", "errors_by_hour", "ip_counts", "top_ips"]) {
          const path = join(outDir, table, `source=${stem}`, "part-00000.parquet");
          expect(await duck.rows(`select count(*)::int as n from read_parquet(${sqlText(path)})`)).toEqual([
            { n: 0 },
          ]);
        }
      } finally {
        duck.close();
      }
      expect(
        JSON.parse(
          await readFile(join(outDir, "_runs", `source=${name.replace(".csv", "")}`, "_SUCCESS"), "utf8"),
        ),
      ).toMatchObject({ runId: "bad-input" });
    }
  });

  it("a UTF-8 BOM before the header: accepted, same rows as without it (offsets shifted by 3)", async () => {
    // Prepare
    const body = [
      csvLine(edgarRow({ code: "503.0" })),
      "",
      csvLine(edgarRow({ date: "2017-02-30" })),
      csvLine(edgarRow({ ip: "日本.x", code: "500" })),
    ]
      .map((l) => `${l}\r\n`)
      .join("");
    const plain = utf8(`${EXPECTED_HEADER}\r\n${body}`);
    const withBom = utf8(`\uFEFF${EXPECTED_HEADER}\r\n${body}`);

    // Act
    const a = await runCore({ bytes: plain, rangeBytes: 50, chunkBytes: 2 });
    const b = await runCore({ bytes: withBom, rangeBytes: 50, chunkBytes: 2 });

    // Assess
    expect(b.plan.header.dataStart).toBe(a.plan.header.dataStart + 3);
    expect(b.tables).toEqual(a.tables);
    expect(b.merged.rows).toEqual({ read: 3, ok: 2, corrupt: 1, sampledOut: 0, blank: 1 });
    expect(b.merged.quarantine.map((q) => [q.offset, q.line, q.reason])).toEqual(
      a.merged.quarantine.map((q) => [q.offset + 3, q.line, q.reason]),
    );
  });

  it("columns in another order: the same results as the canonical order", async () => {
    await fc.assert(
      fc.asyncProperty(
        edgarCsvArb({ maxLines: 25 }),
        fc.shuffledSubarray([...EDGAR_COLUMNS], { minLength: 15, maxLength: 15 }),
        async (csv, order) => {
          // Prepare: the same lines, written in canonical column order and in `order`
          const canonical = renderCsv({ ...csv.layout, columns: EDGAR_COLUMNS });
          const shuffled = renderCsv({ ...csv.layout, columns: order });
          const options = { maxRecordBytes: csv.maxRecordBytes };

          // Act
          const a = await runCore({ bytes: canonical.bytes, options });
          const b = await runCore({ bytes: shuffled.bytes, rangeBytes: 64, chunkBytes: 5, options });

          // Assess: tables in full; the aggregate apart from byte offsets (a record whose defect
          // is a dropped field can change length) and csv-parse's detail (it names field numbers)
          expect(b.tables).toEqual(a.tables);
          const comparable = ({ merged: m }: typeof a) => ({
            ...m,
            serverErrors: { ...m.serverErrors, offset: [] },
            quarantine: m.quarantine.map((q) => [q.line, q.reason]),
          });
          expect(comparable(b)).toEqual(comparable(a));
        },
      ),
      heavyProperty(99, 80),
    );
  });
});

/** One record with exactly one defect, per reason. */
const CORRUPT: readonly { reason: string; line: Uint8Array }[] = [
  { reason: "column_count", line: utf8(csvLine(edgarRow()).replace(/,$/, "")) },
  { reason: "column_count", line: utf8(`${csvLine(edgarRow())},extra`) },
  { reason: "unclosed_quote", line: utf8(csvLine(edgarRow({ browser: '"win' }))) },
  { reason: "bad_quoting", line: utf8(csvLine(edgarRow({ extention: 'ab"c.htm' }))) },
  { reason: "bad_quoting", line: utf8(csvLine(edgarRow({ extention: '"ab"c.htm' }))) },
  {
    reason: "invalid_utf8",
    line: bytesOf(csvLine(edgarRow({ browser: "m" })), Uint8Array.from([0xff, 0xfe])),
  },
  { reason: "invalid_utf8", line: bytesOf("1.2.3.", Uint8Array.from([0xc3]), csvLine(edgarRow()).slice(14)) },
  { reason: "too_long", line: utf8(csvLine(edgarRow({ browser: "x".repeat(200) }))) },
  ...(["ip", "date", "time", "code"] as EdgarColumn[]).map((c) => ({
    reason: "missing_required",
    line: utf8(csvLine(edgarRow({ [c]: "" }))),
  })),
  { reason: "bad_date", line: utf8(csvLine(edgarRow({ date: "2017-02-29" }))) },
  { reason: "bad_date", line: utf8(csvLine(edgarRow({ date: "30/06/2017" }))) },
  { reason: "bad_time", line: utf8(csvLine(edgarRow({ time: "24:00:00" }))) },
  { reason: "bad_time", line: utf8(csvLine(edgarRow({ time: "0:0:1" }))) },
  { reason: "bad_code", line: utf8(csvLine(edgarRow({ code: "5O3.0" }))) },
  { reason: "bad_code", line: utf8(csvLine(edgarRow({ code: "1000.0" }))) },
];
const MAX_RECORD_BYTES = 200;

/** header, an ok row, a blank line (CRLF), the corrupt record (line 4), an ok 503 row. */
function fileWith(corrupt: Uint8Array) {
  const before = utf8(`${EXPECTED_HEADER}\n${csvLine(edgarRow({ ip: "a" }))}\n\r\n`);
  const bytes = bytesOf(before, corrupt, "\n", csvLine(edgarRow({ ip: "b", code: "503.0" })), "\n");
  return { bytes, offset: before.length };
}

function runMode(bytes: Uint8Array, mode: CorruptMode, rangeBytes?: number) {
  return runCore({ bytes, rangeBytes, chunkBytes: 16, options: { mode, maxRecordBytes: MAX_RECORD_BYTES } });
}

describe.each(CORRUPT)("a record with reason $reason", ({ reason, line }) => {
  const { bytes, offset } = fileWith(line);

  it("permissive: excluded, counted by reason, quarantined with offset, line number, reason, raw", async () => {
    const { merged } = await runMode(bytes, "permissive");

    expect(merged.rows).toEqual({ read: 3, ok: 2, corrupt: 1, sampledOut: 0, blank: 1 });
    expect(merged.corruptByReason).toEqual({ [reason]: 1 });
    expect(merged.quarantine).toHaveLength(1);
    expect(merged.quarantine[0]).toMatchObject({
      offset,
      line: 4,
      reason,
      raw: new TextDecoder("utf-8", { ignoreBOM: true }).decode(line),
    });
    expect(ipCountList(merged.ipCounts)).toEqual({ ip: ["a", "b"], count: [1, 1] });
    expect(merged.serverErrors.offset).toHaveLength(1);
  });

  it("dropmalformed: excluded and counted, not quarantined", async () => {
    const { merged } = await runMode(bytes, "dropmalformed");

    expect(merged.rows).toEqual({ read: 3, ok: 2, corrupt: 1, sampledOut: 0, blank: 1 });
    expect(merged.corruptByReason).toEqual({ [reason]: 1 });
    expect(merged.quarantine).toEqual([]);
    expect(ipCountList(merged.ipCounts)).toEqual({ ip: ["a", "b"], count: [1, 1] });
  });

  it.each([undefined, 7])(
    "failfast (rangeBytes %s): CorruptRecordError naming byte offset, line, reason",
    async (rangeBytes) => {
      const error = await runMode(bytes, "failfast", rangeBytes).then(
        () => null,
        (e: unknown) => e,
      );

      expect(error).toBeInstanceOf(CorruptRecordError);
      const e = error as CorruptRecordError;
      expect([e.offset, e.reason, e.code]).toEqual([offset, reason, "CORRUPT_RECORD"]);
      expect(e.message).toContain(`memory.csv: corrupt record at byte ${offset}, line 4: ${reason}: `);
      expect(e.message).toMatch(/run with mode permissive .* or dropmalformed$/);
    },
  );
});

describe("optional fields", () => {
  it("a value that does not parse becomes an invalid count of its column; the row still counts", async () => {
    // Prepare: cik as the SEC wrote it for some rows, a fraction, words; empties are missing
    const lines = [
      csvLine(edgarRow({ cik: "1.21e+24", code: "503.0" })),
      csvLine(edgarRow({ cik: "1.96170000891092E+022", size: "12.5", zone: "n/a" })),
      csvLine(edgarRow({ cik: "", size: "", browser: "", extention: "", code: "500" })),
      csvLine(edgarRow({ cik: "1608552", size: "80251.00", idx: "-1" })),
    ];
    const bytes = utf8(`${EXPECTED_HEADER}\n${lines.join("\n")}\n`);

    // Act
    const { merged, tables } = await runCore({ bytes, rangeBytes: 100, chunkBytes: 3 });

    // Assess
    expect(merged.rows).toEqual({ read: 4, ok: 4, corrupt: 0, sampledOut: 0, blank: 0 });
    expect(merged.invalidByColumn).toMatchObject({ cik: 2, size: 1, zone: 1, idx: 0 });
    expect(Object.values(merged.invalidByColumn).reduce((a, b) => a + b)).toBe(4);
    expect(merged.missingByColumn).toMatchObject({ cik: 1, size: 1, browser: 4, extention: 1 });
    expect(tableRows(tables.server_errors)).toEqual([
      { date: "2017-06-30", time: "00:00:00", extention: "-index.htm", code: 503 },
      { date: "2017-06-30", time: "00:00:00", extention: null, code: 500 },
    ]);
  });
});

describe("the local pipeline's quarantine file and checks", () => {
  it("permissive: quarantine.jsonl lists every corrupt record; a corrupt share over 1% fails the run", async () => {
    // Prepare: 2 corrupt records among 10, CRLF, no final newline
    const lines = Array.from({ length: 10 }, (_, i) => csvLine(edgarRow({ ip: `10.0.0.${i}` })));
    lines[3] = csvLine(edgarRow({ time: "7:00" }));
    lines[8] = `${csvLine(edgarRow())},x`;
    const bytes = utf8(`${EXPECTED_HEADER}\r\n${lines.join("\r\n")}`);

    // Act
    const { result, validation, outDir } = await runLocalOn("q.csv", bytes, { rangeBytes: 300 });

    // Assess
    expect(result.status).toBe("fail");
    expect(result.failedChecks).toEqual(["maxCorruptShare"]);
    expect(validation.rows).toEqual({ read: 10, ok: 8, corrupt: 2, sampledOut: 0, blank: 0 });
    expect(validation.corruptByReason).toEqual({ bad_time: 1, column_count: 1 });
    const quarantined = (await readFile(join(outDir, "_runs", "source=q", "quarantine.jsonl"), "utf8"))
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    const offsetOf = (i: number) =>
      utf8(
        `${EXPECTED_HEADER}\r\n${lines
          .slice(0, i)
          .map((l) => `${l}\r\n`)
          .join("")}`,
      ).length;
    expect(quarantined).toEqual([
      {
        offset: offsetOf(3),
        line: 5,
        reason: "bad_time",
        detail: expect.stringContaining('"7:00"'),
        raw: lines[3],
      },
      {
        offset: offsetOf(8),
        line: 10,
        reason: "column_count",
        detail: "expected 15 columns, found 16",
        raw: lines[8],
      },
    ]);
  });
});
