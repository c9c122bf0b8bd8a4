/**
 * A mapper's memory is bounded by its input's shape, not its range's size: one 512 MiB range, and
 * a single 100 MiB line (a corrupt `too_long` record), each mapped in a separate process whose
 * peak RSS is read from the kernel. Only in `npm run test:chaos` (it writes ~620 MB of files).
 */
import { execFile } from "node:child_process";
import { appendFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateEdgarFile } from "../../local/generate";
import { csvLine, EDGAR_HEADER, edgarRow } from "../helpers/edgar-csv";

const CHAOS = process.env.EDGAR_CHAOS === "1";
const MIB = 1024 * 1024;
/**
 * Far below the range and the line: what a streaming mapper needs, with Node's own ~100 MiB. The
 * 512 MiB range peaks at 147 MiB with the IP counter's table bounded and its spilled runs written
 * away as they come (byte-counter.ts, map-stage.ts); at 177-182 with the runs kept to be merged
 * in memory, and at 203-214 with a table that grew with the range's distinct IPs.
 */
const RSS_LIMIT_MIB = 165;
const run = promisify(execFile);

async function mapInChild(file: string, rangeBytes: number, workDir: string) {
  const { stdout } = await run(
    process.execPath,
    ["--import", "tsx", join(import.meta.dirname, "map-range-rss.ts"), file, String(rangeBytes), workDir],
    { maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split("\n").pop()!) as {
    ranges: number;
    rowsRead: number;
    maxRssMiB: number;
  };
}

describe.skipIf(!CHAOS)("a mapper's peak RSS", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "edgar-etl-rss-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("one 512 MiB range of a generated day stays bounded", { timeout: 600_000 }, async () => {
    const file = join(dir, "day.csv");
    // Just under 512 MiB of data, so that the whole file is one range of 512 MiB.
    const totals = await generateEdgarFile(file, { bytes: 512 * MIB - 4096, seed: 5 });

    const measured = await mapInChild(file, 512 * MIB, join(dir, "work-day"));

    console.info(`512 MiB range: ${measured.rowsRead} rows, peak RSS ${measured.maxRssMiB.toFixed(0)} MiB`);
    expect(measured.ranges).toBe(1);
    expect(measured.rowsRead).toBe(totals.rows);
    expect(measured.maxRssMiB).toBeLessThan(RSS_LIMIT_MIB);
    await rm(file);
  });

  it("a single 100 MiB line is a too_long record, read without holding it", {
    timeout: 600_000,
  }, async () => {
    const file = join(dir, "long-line.csv");
    const row = csvLine(edgarRow());
    await writeFile(file, `${EDGAR_HEADER}\n${row}\n`);
    const block = "x".repeat(MIB);
    for (let i = 0; i < 100; i++) await appendFile(file, block);
    await appendFile(file, `\n${row}\n`);

    const measured = await mapInChild(file, 512 * MIB, join(dir, "work-line"));

    console.info(
      `100 MiB line: ${measured.rowsRead} rows read, peak RSS ${measured.maxRssMiB.toFixed(0)} MiB`,
    );
    expect(measured.rowsRead).toBe(3);
    expect(measured.maxRssMiB).toBeLessThan(RSS_LIMIT_MIB);
  });
});
