/**
 * report.html in a real browser: the Debian chromium package driven by playwright-core (no browser
 * download) opens the page a run wrote, from disk, with no network. The bars it lays out must be
 * DuckDB's answers read straight from the input CSV: 24 server-error bars from one baseline with
 * heights proportional to the counts (zero hours at zero), the top 20 IPs in order with widths
 * proportional to their requests. A screenshot is saved in .cache/.
 */
import { existsSync } from "node:fs";
import { appendFile, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_RUN_OPTIONS } from "../../functions/contracts";
import { generateEdgarFile } from "../../local/generate";
import { runLocal } from "../../local/run-local";
import { edgarCsvRelation, openDuck } from "../helpers/duckdb";

const CHROMIUM = "/usr/bin/chromium";
const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SCREENSHOT = resolve(REPO_ROOT, ".cache/report-in-chromium.png");

interface Bar {
  readonly title: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

describe("report.html in Chromium", () => {
  let dir: string;
  let reportPath: string;
  let expectedByHour: number[];
  let expectedTopIps: { ip: string; count: number }[];
  let browser: BrowserContext;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium), as .ci/run does`,
      );
    }
    // Prepare: a synthetic day (errors vary by hour), its answers from DuckDB, then a few corrupt
    // lines that DuckDB's strict reader would refuse and the pipeline quarantines.
    dir = await mkdtemp(join(tmpdir(), "edgar-etl-browser-"));
    const csv = join(dir, "day.csv");
    await generateEdgarFile(csv, { bytes: 2_000_000, seed: 11 });
    const duck = await openDuck();
    try {
      const relation = edgarCsvRelation(csv);
      const hours = await duck.rows(
        `select cast(split_part(time, ':', 1) as int) as hour, count(*)::int as n from ${relation}
         where try_cast(code as double) >= 500 and try_cast(code as double) < 600 group by 1`,
      );
      expectedByHour = Array.from({ length: 24 }, (_, h) => Number(hours.find((r) => r.hour === h)?.n ?? 0));
      expectedTopIps = (
        await duck.rows(
          `select ip, count(*)::int as n from ${relation} group by ip order by n desc, ip limit 20`,
        )
      ).map((r) => ({ ip: String(r.ip), count: Number(r.n) }));
    } finally {
      duck.close();
    }
    await appendFile(
      csv,
      'not,a,record\n1.2.3.abc,2017-06-31,00:00:01,0.0,1.0,a,.txt,200.0,1.0,0.0,0.0,0.0,0.0,0.0,\n"open\n',
    );
    const out = join(dir, "out");
    await runLocal({
      file: csv,
      outDir: out,
      options: { ...DEFAULT_RUN_OPTIONS, rangeBytes: 200_000 },
      concurrency: 2,
    });
    reportPath = join(out, "_runs", "source=day", "report.html");
    browser = await chromium.launchPersistentContext(join(dir, "chromium-profile"), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1100, height: 900 },
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("lays out the bars DuckDB computes from the CSV, loading nothing but the page", async () => {
    const page = await browser.newPage();
    const requested: string[] = [];
    const errors: string[] = [];
    page.on("request", (r) => requested.push(r.url()));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("pageerror", (e) => errors.push(e.message));

    // Act
    await page.goto(`file://${reportPath}`);
    const bars = (figure: string) =>
      page.$$eval(`#${figure} g[aria-label="bar"] rect`, (rects) =>
        rects.map((r) => {
          const box = r.getBoundingClientRect();
          return {
            title: r.querySelector("title")?.textContent ?? "",
            x: box.x,
            y: box.y,
            width: box.width,
            height: box.height,
          };
        }),
      );
    const hours: Bar[] = await bars("errors-by-hour");
    const ips: Bar[] = await bars("top-ips");
    const hourTable = await page.$$eval("#errors-by-hour-table tbody td", (tds) =>
      tds.map((td) => td.textContent),
    );
    const hourTicks = await page.$$eval('#errors-by-hour g[aria-label="x-axis tick label"] text', (ts) =>
      ts.map((t) => t.textContent),
    );
    const yTicks = await page.$$eval(
      '#errors-by-hour g[aria-label="y-axis tick label"] text',
      (ts) => ts.length,
    );
    const exampleReasons = await page.$$eval("#examples tbody tr td:nth-child(3)", (tds) =>
      tds.map((td) => td.textContent),
    );
    await mkdir(resolve(SCREENSHOT, ".."), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // Assess: server errors by hour, 24 vertical bars on one baseline, left to right by hour.
    // The day is uneven enough to tell: several different counts, and hours with none.
    expect(new Set(expectedByHour).size).toBeGreaterThan(3);
    expect(expectedByHour).toContain(0);
    expect(hours).toHaveLength(24);
    expect(hourTicks).toEqual(expectedByHour.map((_, h) => `${String(h).padStart(2, "0")}h`));
    expect(yTicks).toBeGreaterThan(2);
    expect(hourTable).toEqual(["errors", ...expectedByHour.map((n) => n.toLocaleString("en-US"))]);
    const maxErrors = Math.max(...expectedByHour);
    const tallest = Math.max(...hours.map((b) => b.height));
    const baseline = hours[0]!.y + hours[0]!.height;
    for (const h of expectedByHour.flatMap((n, hour) => (n === 0 ? [hour] : []))) {
      expect(hours[h]!.height).toBe(0);
    }
    for (const [h, bar] of hours.entries()) {
      expect(bar.title).toBe(
        `${String(h).padStart(2, "0")}h: ${expectedByHour[h]!.toLocaleString("en-US")} server errors`,
      );
      expect(bar.height).toBeCloseTo((tallest * expectedByHour[h]!) / maxErrors, 0);
      expect(bar.y + bar.height).toBeCloseTo(baseline, 0);
      if (h > 0) expect(bar.x).toBeGreaterThan(hours[h - 1]!.x);
    }
    // The top 20 IPs, in rank order, from one left edge.
    expect(ips.map((b) => b.title)).toEqual(
      expectedTopIps.map((t) => `${t.ip}: ${t.count.toLocaleString("en-US")}`),
    );
    for (const [i, bar] of ips.entries()) {
      expect(bar.width).toBeCloseTo((ips[0]!.width * expectedTopIps[i]!.count) / expectedTopIps[0]!.count, 0);
      expect(bar.x).toBeCloseTo(ips[0]!.x, 0);
      if (i > 0) expect(bar.y).toBeGreaterThan(ips[i - 1]!.y);
    }
    expect(exampleReasons).toEqual(["column_count", "bad_date", "unclosed_quote"]);
    expect(requested).toEqual([`file://${reportPath}`]);
    expect(errors).toEqual([]);
  });
});
