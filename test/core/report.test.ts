/**
 * report.html as a document: self-contained (no script, no network), every chart static SVG whose
 * bars are the validation's numbers, the tables beside them, the run facts when known, and a few
 * quarantined examples per corrupt reason. Parsed back with linkedom, not matched as text.
 */
import { parseHTML } from "linkedom";
import { describe, expect, it } from "vitest";
import { type QuarantineLine, quarantineExamples, renderReport } from "../../functions/core/report";
import { EDGAR_COLUMN_NAMES } from "../../functions/core/schema";
import type { ValidationReport } from "../../functions/core/validation";

const zeros = () =>
  Object.fromEntries(EDGAR_COLUMN_NAMES.map((c) => [c, 0])) as ValidationReport["missingByColumn"];

/** A run of 1,000 records: 990 ok, 10 corrupt; server errors in a few hours only. */
function validation(overrides: Partial<ValidationReport> = {}): ValidationReport {
  const byHour = new Array(24).fill(0);
  byHour[0] = 7;
  byHour[3] = 120;
  byHour[4] = 30;
  byHour[23] = 1;
  return {
    format: "edgar-etl/validation",
    version: 1,
    runId: "run-1",
    source: { bucket: "in", key: "incoming/log20170630.csv", size: 123_456, stem: "log20170630" },
    status: "fail",
    rows: { read: 1000, ok: 990, corrupt: 10, sampledOut: 0, blank: 2 },
    fields: { expected: EDGAR_COLUMN_NAMES, present: EDGAR_COLUMN_NAMES },
    missingByColumn: { ...zeros(), browser: 891, size: 99 },
    invalidByColumn: { ...zeros(), cik: 3 },
    corruptByReason: { bad_date: 6, column_count: 4 },
    quarantine: { records: 10, notCopied: 0 },
    date: { min: "2017-06-30", max: "2017-06-30" },
    time: { min: "00:00:00", max: "23:59:59" },
    serverErrors: 158,
    serverErrorsByHour: byHour,
    distinctIps: 400,
    topIps: Array.from({ length: 20 }, (_, i) => ({ ip: `10.0.${i}.abc`, count: 500 - i * 20 })),
    coverage: { ranges: 4, dataStart: 95, size: 123_456, proven: true } as ValidationReport["coverage"],
    checks: [
      { name: "requireRows", status: "pass", observed: 990, limit: "> 0" },
      { name: "maxCorruptShare", status: "pass", observed: 0.01, limit: "<= 0.01" },
      { name: "rowCount", status: "fail", observed: 990, limit: "1000..2000" },
    ],
    ...overrides,
  };
}

function quarantined(n: number, reason: string, from: number): QuarantineLine[] {
  return Array.from({ length: n }, (_, i) => ({
    offset: from + i * 100,
    line: 2 + from / 100 + i,
    reason: reason as QuarantineLine["reason"],
    detail: `${reason} detail ${i}`,
    raw: `raw ${reason} ${i},${"x".repeat(300)}`,
  }));
}

type ReportDocument = ReturnType<typeof parseHTML>["document"];

async function page(v = validation(), quarantine: QuarantineLine[] = []) {
  const html = await renderReport({ validation: v, quarantine });
  return { html, document: parseHTML(html).document };
}

/** A chart's bars with their tooltip titles and sizes. */
function bars(document: ReportDocument, figureId: string) {
  const figure = document.getElementById(figureId);
  expect(figure, `figure #${figureId}`).not.toBeNull();
  return [...figure!.querySelectorAll('g[aria-label="bar"] rect')].map((rect) => ({
    title: rect.querySelector("title")?.textContent ?? "",
    height: Number(rect.getAttribute("height")),
    width: Number(rect.getAttribute("width")),
  }));
}

function cells(document: ReportDocument, tableId: string): string[][] {
  return [...document.querySelectorAll(`#${tableId} tbody tr`)].map((tr) =>
    [...tr.querySelectorAll("td")].map((td) => td.textContent ?? ""),
  );
}

describe("renderReport", () => {
  it("is one static page: no script, nothing loaded from the network, charts as inline SVG", async () => {
    const { html, document } = await page();
    expect(document.querySelectorAll("script")).toHaveLength(0);
    expect(html).not.toMatch(/<(link|img|iframe|object)\b/);
    expect(html.replace(/xmlns(:\w+)?="http:\/\/www\.w3\.org\/[^"]*"/g, "")).not.toMatch(/https?:\/\//);
    expect(document.querySelectorAll("figure.chart svg").length).toBeGreaterThanOrEqual(5);
    expect(document.querySelector("h1")?.textContent).toBe("EDGAR log run: log20170630 FAIL");
  });

  it("draws server errors by hour as 24 vertical bars, zero hours included, heights proportional to the counts", async () => {
    const v = validation();
    const { document } = await page(v);
    const hours = bars(document, "errors-by-hour");
    expect(hours.map((b) => b.title)).toEqual(
      v.serverErrorsByHour.map((n, h) => `${String(h).padStart(2, "0")}h: ${n} server errors`),
    );
    const tallest = Math.max(...hours.map((b) => b.height));
    for (const [h, bar] of hours.entries()) {
      expect(bar.height / tallest).toBeCloseTo(v.serverErrorsByHour[h]! / 120, 2);
    }
    // Both axes, and a count over every bar, 0 included.
    const svg = document.querySelector("#errors-by-hour svg")!;
    const axisTicks = [...svg.querySelectorAll('g[aria-label="x-axis tick label"] text')].map(
      (t) => t.textContent,
    );
    expect(axisTicks).toEqual(v.serverErrorsByHour.map((_, h) => `${String(h).padStart(2, "0")}h`));
    expect(svg.querySelectorAll('g[aria-label="y-axis tick label"] text').length).toBeGreaterThan(2);
    const labels = [...svg.querySelectorAll('g[aria-label="text"] text')].map((t) => t.textContent);
    expect(labels).toEqual(v.serverErrorsByHour.map(String));
    expect(cells(document, "errors-by-hour-table")).toEqual([
      ["errors", ...v.serverErrorsByHour.map(String)],
    ]);
  });

  it("draws the top IPs in rank order, bar widths proportional to requests, with the table beside", async () => {
    const v = validation();
    const { document } = await page(v);
    const ips = bars(document, "top-ips");
    expect(ips.map((b) => b.title)).toEqual(v.topIps.map((t) => `${t.ip}: ${t.count}`));
    for (const [i, bar] of ips.entries())
      expect(bar.width / ips[0]!.width).toBeCloseTo(v.topIps[i]!.count / 500, 2);
    expect(cells(document, "top-ips-table")[19]).toEqual(["20", "10.0.19.abc", "120"]);
  });

  it("shows rows by outcome, and missing and invalid values per column with their shares of ok rows", async () => {
    const { document } = await page();
    expect(bars(document, "rows-by-outcome").map((b) => b.title)).toEqual([
      "ok: 990",
      "corrupt: 10",
      "sampled out: 0",
    ]);
    const columns = cells(document, "values-per-column-table");
    expect(columns.find((r) => r[0] === "browser")).toEqual(["browser", "891", "90.0 %", "0", "0.0 %"]);
    expect(columns.find((r) => r[0] === "size")).toEqual(["size", "99", "10.0 %", "0", "0.0 %"]);
    expect(columns.find((r) => r[0] === "cik")).toEqual(["cik", "0", "0.0 %", "3", "0.30 %"]);
    const titles = bars(document, "values-per-column").map((b) => b.title);
    expect(titles).toContain("browser: 90.0 % missing");
    expect(titles).toContain("cik: 0.30 % invalid");
    expect(cells(document, "checks")).toEqual([
      ["requireRows", "990", "> 0", "pass"],
      ["maxCorruptShare", "1.00 %", "<= 0.01", "pass"],
      ["rowCount", "990", "1000..2000", "fail"],
    ]);
  });

  it("lists corrupt reasons by count and a few quarantined examples of each with offset, line and reason", async () => {
    const quarantine = [...quarantined(6, "bad_date", 1000), ...quarantined(4, "column_count", 500)];
    const { document } = await page(validation(), quarantine);
    expect(cells(document, "corrupt-table")).toEqual([
      ["bad_date", "6", "0.60 %"],
      ["column_count", "4", "0.40 %"],
    ]);
    const examples = cells(document, "examples");
    expect(examples.map((r) => [r[0], r[2]])).toEqual([
      ["500", "column_count"],
      ["600", "column_count"],
      ["700", "column_count"],
      ["1,000", "bad_date"],
      ["1,100", "bad_date"],
      ["1,200", "bad_date"],
    ]);
    expect(examples[0]![1]).toBe("7");
    expect(examples[0]![4]!.length).toBeLessThanOrEqual(161);
  });

  it("states the run facts it is given, MB/s over the map stage, and charts range durations", async () => {
    const run = {
      rangeBytes: 65_536,
      stageSeconds: { plan: 0.2, map: 0.5, reduce: 0.3 },
      rangeSeconds: [0.1, 0.2, 0.2, 0.4],
    };
    const { document } = await page(validation({ run }));
    const facts = Object.fromEntries(cells(document, "run-facts").map(([k, v]) => [k, v]));
    expect(facts).toMatchObject({
      input: "s3://in/incoming/log20170630.csv",
      bytes: "123,456",
      ranges: "4 of 65,536 bytes (coverage proven)",
      "time per stage": "plan 0.20 s, map 0.50 s, reduce 0.30 s",
      throughput: "0.2 MB/s (map stage)",
    });
    const histogram = document.querySelectorAll('#range-seconds g[aria-label="rect"] rect');
    expect(histogram.length).toBeGreaterThan(0);

    const without = await page();
    expect(without.document.getElementById("range-seconds")).toBeNull();
    expect(cells(without.document, "run-facts").map((r) => r[0])).not.toContain("time per stage");
  });

  it("names the uploaded archive and the CSV staged from it", async () => {
    const source = {
      bucket: "work",
      key: "runs/r/staged.csv",
      size: 5_095_789,
      stem: "log20030301",
      archive: {
        format: "zip",
        bucket: "in",
        key: "incoming/log20030301.zip",
        size: 775_958,
        member: "log20030301.csv",
      },
    } as const;
    const { document } = await page(validation({ source }));
    const facts = Object.fromEntries(cells(document, "run-facts").map(([k, v]) => [k, v]));
    expect(facts).toMatchObject({
      uploaded: "s3://in/incoming/log20030301.zip (zip, 775,958 bytes, member log20030301.csv)",
      "staged CSV": "s3://work/runs/r/staged.csv",
      bytes: "5,095,789",
    });
  });

  it("renders a header-only run without charts of nothing", async () => {
    const v = validation({
      rows: { read: 0, ok: 0, corrupt: 0, sampledOut: 0, blank: 0 },
      missingByColumn: zeros(),
      invalidByColumn: zeros(),
      corruptByReason: {},
      serverErrors: 0,
      serverErrorsByHour: new Array(24).fill(0),
      topIps: [],
      distinctIps: 0,
    });
    const { document } = await page(v);
    expect(bars(document, "errors-by-hour").every((b) => b.height === 0)).toBe(true);
    // A count axis of whole numbers, even with nothing to count.
    const yTicks = [...document.querySelectorAll('#errors-by-hour g[aria-label="y-axis tick label"] text')];
    expect(yTicks.map((t) => t.textContent)).toEqual(["0", "1"]);
    expect(document.getElementById("top-ips")).toBeNull();
    expect(document.getElementById("corrupt-reasons")).toBeNull();
  });
});

describe("quarantineExamples", () => {
  it("takes the first three of each reason in file order, twelve at most", () => {
    const records = ["a", "b", "c", "d", "e"].flatMap((reason, i) =>
      quarantined(5, reason, 10_000 - i * 1000),
    );
    const picked = quarantineExamples(records);
    expect(picked).toHaveLength(12);
    expect(picked.map((r) => r.offset)).toEqual([...picked.map((r) => r.offset)].sort((x, y) => x - y));
    expect(new Set(picked.map((r) => r.reason)).size).toBe(4);
  });
});
