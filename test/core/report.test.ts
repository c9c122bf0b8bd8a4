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

/** What a figure's chart shows: its size, axis labels, tick labels, value labels and rules. */
function anatomy(document: ReportDocument, figureId: string) {
  const inFigure = (selector: string) => [...document.querySelectorAll(`#${figureId} ${selector}`)];
  const texts = (label: string) => inFigure(`g[aria-label="${label}"] text`).map((t) => t.textContent);
  return {
    height: inFigure("svg[font-family]")[0]?.getAttribute("height"),
    xLabel: texts("x-axis label"),
    yLabel: texts("y-axis label"),
    xTicks: texts("x-axis tick label"),
    yTicks: texts("y-axis tick label"),
    grid: inFigure('g[aria-label$="-grid"]').map((g) => g.getAttribute("aria-label")),
    values: texts("text"),
    valuesAnchor: inFigure('g[aria-label="text"]')[0]?.getAttribute("text-anchor") ?? null,
    rules: inFigure('g[aria-label="rule"] line').length,
  };
}

/** The headers of every table on the page, by table id (null for a table without a header row). */
function headers(document: ReportDocument): Record<string, string[] | null> {
  return Object.fromEntries(
    [...document.querySelectorAll("table")].map((t) => {
      const row = t.querySelector("thead tr");
      return [
        t.getAttribute("id"),
        row === null ? null : [...row.querySelectorAll("th")].map((th) => th.textContent),
      ];
    }),
  );
}

function facts(document: ReportDocument): Record<string, string | undefined> {
  return Object.fromEntries(cells(document, "run-facts").map(([k, v]) => [k, v]));
}

describe("renderReport, the page's parts", () => {
  const quarantine = () => [...quarantined(3, "bad_date", 1000), ...quarantined(2, "column_count", 500)];

  it("heads every table with its columns; the run facts have none", async () => {
    const { document } = await page(validation(), quarantine());

    expect(headers(document)).toEqual({
      "run-facts": null,
      checks: ["check", "observed", "limit", "status"],
      rows: ["read", "ok", "corrupt", "sampled out", "blank lines"],
      "errors-by-hour-table": [
        "hour",
        ...Array.from({ length: 24 }, (_, h) => `${String(h).padStart(2, "0")}h`),
      ],
      "top-ips-table": ["rank", "ip", "requests"],
      "values-per-column-table": ["column", "missing", "missing share", "invalid", "invalid share"],
      "corrupt-table": ["reason", "records", "share of parsed"],
      examples: ["byte offset", "line", "reason", "detail", "record"],
    });
    expect(cells(document, "rows")).toEqual([["1,000", "990", "10", "0", "2"]]);
    expect(document.querySelector("h3")?.textContent).toBe("Examples");
  });

  it("captions every chart", async () => {
    const { document } = await page(validation({ run: { rangeSeconds: [0.1, 0.2] } }));

    const captions = Object.fromEntries(
      [...document.querySelectorAll("figure.chart")].map((f) => [
        f.getAttribute("id"),
        f.querySelector("figcaption")?.textContent,
      ]),
    );
    expect(captions).toEqual({
      "range-seconds": "Time per range",
      "rows-by-outcome": "Records read, by outcome",
      "errors-by-hour": "Server errors (5xx) per hour of day, 158 in all",
      "top-ips": "Requests per IP, top 20 of 400",
      "values-per-column": "Missing and invalid values per column",
      "corrupt-reasons": "Corrupt records by reason",
    });
  });

  it("gives every chart its size, labelled axes, whole-number or percent ticks, a grid and a zero rule", async () => {
    const { document } = await page(validation({ run: { rangeSeconds: [0.1, 0.2, 0.2, 0.4] } }));

    expect(anatomy(document, "errors-by-hour")).toMatchObject({
      height: "260",
      xLabel: ["hour of day"],
      yLabel: ["↑ server errors"],
      yTicks: ["0", "20", "40", "60", "80", "100", "120"],
      grid: ["y-grid"],
      rules: 1,
    });
    expect(anatomy(document, "rows-by-outcome")).toEqual({
      height: String(30 + 3 * 20),
      xLabel: ["records →"],
      yLabel: [],
      xTicks: ["0", "200", "400", "600", "800"],
      yTicks: ["ok", "corrupt", "sampled out"],
      grid: ["x-grid"],
      values: ["990", "10", "0"],
      valuesAnchor: "start",
      rules: 1,
    });
    expect(anatomy(document, "top-ips")).toMatchObject({
      height: String(30 + 20 * 20),
      xLabel: ["requests →"],
      xTicks: ["0", "100", "200", "300", "400", "500"],
      grid: ["x-grid"],
      rules: 1,
    });
    expect(anatomy(document, "corrupt-reasons")).toMatchObject({
      height: String(30 + 2 * 20),
      xLabel: ["records →"],
      xTicks: ["0", "1", "2", "3", "4", "5", "6"],
      yTicks: ["bad_date", "column_count"],
      values: ["6", "4"],
      rules: 1,
    });
    expect(anatomy(document, "values-per-column")).toMatchObject({
      height: String(40 + EDGAR_COLUMN_NAMES.length * 26),
      xLabel: ["share of ok rows →"],
      xTicks: ["0%", "10%", "20%", "30%", "40%", "50%", "60%", "70%", "80%", "90%"],
      yTicks: [...EDGAR_COLUMN_NAMES],
      grid: ["x-grid"],
      rules: 1,
    });
    expect(anatomy(document, "range-seconds")).toMatchObject({
      height: "200",
      xTicks: ["0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6"],
      yTicks: ["0", "1", "2"],
      xLabel: ["seconds per range →"],
      yLabel: ["↑ ranges"],
      grid: ["y-grid"],
      rules: 1,
    });
  });

  it("shows large counts in thousands on the axes and over the bars", async () => {
    const byHour = new Array(24).fill(0);
    byHour[3] = 12_345;
    byHour[4] = 9_999;
    byHour[5] = 10_000;
    const { document } = await page(
      validation({
        serverErrors: 32_344,
        serverErrorsByHour: byHour,
        topIps: [
          { ip: "10.0.0.abc", count: 50_000 },
          { ip: "10.0.1.abc", count: 20_000 },
        ],
      }),
    );

    const hours = anatomy(document, "errors-by-hour");
    expect(hours.yTicks).toEqual(["0", "2k", "4k", "6k", "8k", "10k", "12k"]);
    expect(hours.values[3]).toBe("12k");
    expect(hours.values[4]).toBe("9999");
    expect(hours.values[5]).toBe("10k");
    // Each count sits just above its bar.
    const translation = (transform: string | null | undefined) =>
      /translate\(([-\d.]+),([-\d.]+)\)/
        .exec(transform ?? "")!
        .slice(1)
        .map(Number) as [number, number];
    const labels = document.querySelector('#errors-by-hour g[aria-label="text"]')!;
    const [, shiftY] = translation(labels.getAttribute("transform"));
    const [, labelY] = translation(labels.querySelectorAll("text")[3]!.getAttribute("transform"));
    const barTop = Number(
      document.querySelectorAll('#errors-by-hour g[aria-label="bar"] rect')[3]!.getAttribute("y"),
    );
    expect(labelY + shiftY).toBeCloseTo(barTop - 6, 6);
    // The axis runs on to a round number above the tallest bar (the plot's top is at 24 px).
    expect(barTop).toBeGreaterThan(24 + 1);
    expect(anatomy(document, "top-ips").xTicks).toEqual(["0", "10k", "20k", "30k", "40k", "50k"]);
  });

  it("labels each count tick with its own prefix: zero as 0, millions in M", async () => {
    const { document } = await page(
      validation({
        topIps: [
          { ip: "10.0.0.abc", count: 1_500_000 },
          { ip: "10.0.1.abc", count: 250_000 },
        ],
      }),
    );
    expect(anatomy(document, "top-ips").xTicks).toEqual([
      "0",
      "200k",
      "400k",
      "600k",
      "800k",
      "1M",
      "1.2M",
      "1.4M",
    ]);
  });

  it("draws each column's missing share above its invalid share, the largest share reaching the axis end", async () => {
    const { document } = await page();

    const rects = [...document.querySelectorAll('#values-per-column g[aria-label="bar"] rect')].map(
      (rect) => ({
        title: rect.querySelector("title")?.textContent ?? "",
        x: Number(rect.getAttribute("x")),
        y: Number(rect.getAttribute("y")),
        width: Number(rect.getAttribute("width")),
        height: Number(rect.getAttribute("height")),
      }),
    );
    const bar = (title: string) => rects.find((r) => r.title === title)!;
    const browserMissing = bar("browser: 90.0 % missing");
    const browserInvalid = bar("browser: 0.0 % invalid");
    const cikInvalid = bar("cik: 0.30 % invalid");
    const plotRight = 760 - 70;

    expect(browserMissing.x + browserMissing.width).toBeCloseTo(plotRight, 0);
    expect(cikInvalid.width / browserMissing.width).toBeCloseTo(0.003 / 0.9, 3);
    expect(browserMissing.height).toBeGreaterThan(5);
    expect(browserMissing.height).toBeCloseTo(browserInvalid.height, 3);
    expect(browserMissing.y + browserMissing.height).toBeLessThanOrEqual(browserInvalid.y + 1e-6);
    const swatches = [...document.querySelectorAll("#values-per-column span")].map((span) => [
      span.textContent,
      span.querySelector("svg")?.getAttribute("fill"),
    ]);
    expect(swatches).toEqual([
      ["missing", "#3b6ea8"],
      ["invalid", "#e07b39"],
    ]);
  });

  it("states the dates and times seen, a range count without a range size, and says when there are no checks", async () => {
    const { document } = await page(validation({ checks: [] }));

    expect(facts(document)).toMatchObject({
      ranges: "4 (coverage proven)",
      dates: "2017-06-30 to 2017-06-30",
      times: "00:00:00 to 23:59:59",
    });
    expect(document.body.textContent).toContain("No checks configured.");
    expect((await page()).document.body.textContent).not.toContain("No checks configured.");
  });

  it("times stages of ten seconds and more to a tenth, and MB/s over all stages when the map's time is unknown", async () => {
    const v = validation({
      source: { ...validation().source, size: 22_840_000 },
      run: { stageSeconds: { inflate: 12.34, plan: 10, reduce: 0.5 } },
    });

    expect(facts((await page(v)).document)).toMatchObject({
      "time per stage": "inflate 12.3 s, plan 10.0 s, reduce 0.50 s",
      throughput: "1.0 MB/s (all stages)",
    });
  });

  it("states no throughput for a run timed at zero seconds", async () => {
    const { document } = await page(validation({ run: { stageSeconds: { map: 0 } } }));

    expect(facts(document)["time per stage"]).toBe("map 0.00 s");
    expect(Object.keys(facts(document))).not.toContain("throughput");
  });

  it("states the median, p95 and longest range time, whatever order the ranges finished in", async () => {
    // 0.1 s .. 4.0 s in a scrambled order: the median is the 21st, p95 the 39th of 40.
    const rangeSeconds = Array.from({ length: 40 }, (_, i) => (((i * 17) % 40) + 1) / 10);

    const { document } = await page(validation({ run: { rangeSeconds } }));

    expect(facts(document)["range time"]).toBe("median 2.10 s, p95 3.90 s, max 4.00 s");
  });

  it("states no range time and draws no histogram for a run without range durations", async () => {
    const { document } = await page(validation({ run: { rangeSeconds: [] } }));

    expect(Object.keys(facts(document))).not.toContain("range time");
    expect(document.getElementById("range-seconds")).toBeNull();
  });

  it("lists corrupt reasons by count, ties by name", async () => {
    const { document } = await page(
      validation({
        rows: { read: 1000, ok: 990, corrupt: 10, sampledOut: 0, blank: 0 },
        corruptByReason: { too_long: 2, bad_date: 6, column_count: 2 },
      }),
    );

    expect(cells(document, "corrupt-table").map((r) => r[0])).toEqual([
      "bad_date",
      "column_count",
      "too_long",
    ]);
  });

  it("says so when nothing was corrupt, and shows no examples without quarantined records", async () => {
    const v = validation({ corruptByReason: {}, quarantine: { records: 0, notCopied: 0 } });

    const html = await renderReport({ validation: v });

    const { document } = parseHTML(html);
    expect(document.getElementById("corrupt-table")).toBeNull();
    expect(document.getElementById("examples")).toBeNull();
    expect(document.querySelector("h3")).toBeNull();
    const corruptSection = [...document.querySelectorAll("section")].find(
      (s) => s.querySelector("h2")?.textContent === "Corrupt records",
    )!;
    expect([...corruptSection.querySelectorAll("p")].map((p) => p.textContent)).toEqual([
      "None.",
      "0 quarantined in full (quarantine.jsonl), 0 counted only.",
    ]);
  });

  it("shows small shares with more digits: 0.1 % to two decimals, less to four", async () => {
    const { document } = await page(
      validation({
        rows: { read: 10_000, ok: 10_000, corrupt: 0, sampledOut: 0, blank: 0 },
        missingByColumn: { ...zeros(), size: 1 },
        invalidByColumn: { ...zeros(), cik: 10 },
      }),
    );

    const columns = cells(document, "values-per-column-table");
    expect(columns.find((r) => r[0] === "size")).toEqual(["size", "1", "0.0100 %", "0", "0.0 %"]);
    expect(columns.find((r) => r[0] === "cik")).toEqual(["cik", "0", "0.0 %", "10", "0.10 %"]);
  });

  it("shows shares of 0 % for a run with no ok rows", async () => {
    const { document } = await page(
      validation({ rows: { read: 0, ok: 0, corrupt: 0, sampledOut: 0, blank: 0 }, missingByColumn: zeros() }),
    );

    for (const row of cells(document, "values-per-column-table")) {
      expect([row[2], row[4]]).toEqual(["0.0 %", "0.0 %"]);
    }
  });

  it("shows markup in a name as text", async () => {
    const stem = `log<b>&"'`;
    const { html, document } = await page(validation({ source: { ...validation().source, stem } }));

    expect(document.querySelector("h1 b")).toBeNull();
    expect(document.querySelector("h1")?.textContent).toBe(`EDGAR log run: ${stem} FAIL`);
    expect(document.querySelector("title")?.textContent).toBe(`EDGAR log run ${stem}: fail`);
    expect(html).toContain("log&#60;b&#62;&#38;&#34;&#39;");
  });
});

describe("renderReport, the page's structure", () => {
  it("puts no stray text between a section's parts or a table's cells", async () => {
    for (const v of [
      validation(),
      validation({ checks: [], corruptByReason: {}, run: { rangeSeconds: [] } }),
    ]) {
      const { document } = await page(v);
      for (const section of document.querySelectorAll("section")) {
        const stray = [...section.childNodes].filter(
          (n) => n.nodeType === 3 && (n.textContent ?? "").trim() !== "",
        );
        expect(stray.map((n) => n.textContent)).toEqual([]);
      }
      for (const table of document.querySelectorAll("table")) {
        const rows = [...table.querySelectorAll("tr")];
        expect(table.textContent).toBe(rows.map((tr) => tr.textContent).join(""));
        for (const tr of rows)
          expect(tr.textContent).toBe([...tr.querySelectorAll("td, th")].map((c) => c.textContent).join(""));
      }
    }
  });

  it("says there is nothing to rank, and no dates or times, for a run without ok rows", async () => {
    const { document } = await page(
      validation({
        rows: { read: 0, ok: 0, corrupt: 0, sampledOut: 0, blank: 0 },
        topIps: [],
        date: { min: null, max: null },
        time: { min: null, max: null },
      }),
    );

    const ipsSection = [...document.querySelectorAll("section")].find(
      (s) => s.querySelector("h2")?.textContent === "Most active IPs",
    )!;
    expect(ipsSection.querySelector("p")?.textContent).toBe("No ok rows.");
    expect(facts(document)).toMatchObject({ dates: "- to -", times: "- to -" });
  });

  it("leaves room for the IP labels: 7 px a character, for 8 characters at least, 220 px at most", async () => {
    const labelsStartAt = async (ip: string) => {
      const { document } = await page(validation({ topIps: [{ ip, count: 10 }] }));
      const tick = document.querySelector('#top-ips g[aria-label="y-axis tick label"] text')!;
      return Number(/translate\(([-\d.]+),/.exec(tick.getAttribute("transform") ?? "")![1]);
    };

    expect(await labelsStartAt("1.2.abc")).toBe(20 + 7 * 8);
    expect(await labelsStartAt("10.0.19.abc")).toBe(20 + 7 * 11);
    expect(await labelsStartAt("2001:db8:85a3:8d3:1319:8a2e:370:abc")).toBe(220);
  });
});
