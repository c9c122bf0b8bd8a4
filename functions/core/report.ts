/**
 * report.html: one self-contained page a person can open from S3 or disk (no scripts, no
 * network): the run's facts, checks, rows by outcome, server errors by hour, the most active IPs,
 * missing and invalid values per column, corrupt records with examples. Charts are Observable
 * Plot figures rendered here, at reduce time, to static inline SVG on a server-side DOM.
 */
import type { QuarantinedRecord } from "./aggregate";
import { clip } from "./clip";
import type { RunFacts, ValidationReport } from "./validation";

/** A quarantined record as quarantine.jsonl holds it. */
export type QuarantineLine = Omit<QuarantinedRecord, "lineInRange">;

export interface ReportInput {
  readonly validation: ValidationReport;
  /** The run's quarantined records (or some of them); the first few of each reason are shown. */
  readonly quarantine?: readonly QuarantineLine[];
}

/** Examples shown per corrupt reason, and at most in all. */
const EXAMPLES_PER_REASON = 3;
const MAX_EXAMPLES = 12;
const RAW_SHOWN_CHARS = 160;

const BAR = "#3b6ea8";
const MISSING = "#3b6ea8";
const INVALID = "#e07b39";

type PlotModule = typeof import("@observablehq/plot");
type PlotDocument = NonNullable<Parameters<PlotModule["plot"]>[0]>["document"];
/** What a rendered figure is used for here (the project compiles without DOM types). */
interface Chart {
  readonly outerHTML: string;
}
interface Renderer {
  readonly Plot: PlotModule;
  readonly document: PlotDocument;
}

let renderer: Promise<Renderer> | undefined;

/**
 * Plot and a server-side DOM, loaded once per process (the reducer renders one page per run);
 * renderReport calls it, and a caller timing the rendering alone may call it first.
 */
export function loadRenderer(): Promise<Renderer> {
  renderer ??= Promise.all([import("@observablehq/plot"), import("linkedom")]).then(
    ([Plot, { parseHTML }]) => ({
      Plot,
      document: parseHTML("<!doctype html><html><body></body></html>").document as unknown as PlotDocument,
    }),
  );
  return renderer;
}

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const fmt = (n: number) => n.toLocaleString("en-US");
const pct = (share: number) =>
  `${(share * 100).toFixed(share === 0 || share >= 0.1 ? 1 : share >= 0.001 ? 2 : 4)} %`;
const hourLabel = (h: number) => `${String(h).padStart(2, "0")}h`;
const seconds = (s: number) => (s < 10 ? `${s.toFixed(2)} s` : `${s.toFixed(1)} s`);

function table(id: string, headers: readonly string[] | null, rows: readonly (readonly unknown[])[]): string {
  const head =
    headers === null ? "" : `<thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead>`;
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`).join("");
  return `<table id="${id}">${head}<tbody>${body}</tbody></table>`;
}

function figure(id: string, caption: string, chart: Chart): string {
  return `<figure class="chart" id="${id}"><figcaption>${esc(caption)}</figcaption>${chart.outerHTML}</figure>`;
}

/** The first few quarantined records of each reason, in file order. */
export function quarantineExamples(records: readonly QuarantineLine[]): QuarantineLine[] {
  const perReason = new Map<string, number>();
  const picked: QuarantineLine[] = [];
  for (const r of [...records].sort((a, b) => a.offset - b.offset)) {
    const n = perReason.get(r.reason) ?? 0;
    if (n >= EXAMPLES_PER_REASON) continue;
    perReason.set(r.reason, n + 1);
    picked.push(r);
    if (picked.length === MAX_EXAMPLES) break;
  }
  return picked;
}

/**
 * A count axis's tick label: 0, 950, 2k, 12k, 1.5M. Each value takes its own SI prefix, so zero
 * reads "0" (a format shared by the axis would write "0k").
 */
function countTickLabel(n: number): string {
  if (n >= 1e6) return `${+(n / 1e6).toPrecision(3)}M`;
  if (n >= 1e3) return `${+(n / 1e3).toPrecision(3)}k`;
  return String(n);
}

/** Whole-number ticks for a count axis that would otherwise show fractions (a max under 5). */
function countTicks(max: number): number | number[] {
  return max >= 5 ? 5 : Array.from({ length: Math.max(1, max) + 1 }, (_, i) => i);
}

function errorsByHourChart({ Plot, document }: Renderer, byHour: readonly number[]): Chart {
  const data = byHour.map((count, hour) => ({ hour, count }));
  const max = Math.max(0, ...byHour);
  return Plot.plot({
    document,
    width: 760,
    height: 260,
    marginLeft: 56,
    marginTop: 24,
    x: {
      type: "band",
      domain: data.map((d) => d.hour),
      label: "hour of day",
      tickFormat: hourLabel,
      padding: 0.15,
    },
    // A zero-only day still gets a y axis (0..1) rather than a collapsed one.
    y: {
      domain: [0, max > 0 ? max : 1],
      nice: true,
      grid: true,
      label: "server errors",
      tickFormat: countTickLabel,
      ticks: countTicks(max),
    },
    marks: [
      Plot.barY(data, {
        x: "hour",
        y: "count",
        fill: BAR,
        title: (d: { hour: number; count: number }) => `${hourLabel(d.hour)}: ${fmt(d.count)} server errors`,
      }),
      Plot.text(data, {
        x: "hour",
        y: "count",
        text: (d: { count: number }) =>
          d.count >= 10_000 ? `${(d.count / 1000).toFixed(0)}k` : String(d.count),
        dy: -6,
        fontSize: 9,
      }),
      Plot.ruleY([0]),
    ],
  });
}

function horizontalBars(
  { Plot, document }: Renderer,
  rows: readonly { label: string; value: number }[],
  xLabel: string,
  marginLeft: number,
): Chart {
  return Plot.plot({
    document,
    width: 760,
    height: 30 + rows.length * 20,
    marginLeft,
    marginRight: 70,
    x: {
      grid: true,
      label: xLabel,
      tickFormat: countTickLabel,
      ticks: countTicks(Math.max(0, ...rows.map((r) => r.value))),
    },
    y: { domain: rows.map((r) => r.label), label: null },
    marks: [
      Plot.barX(rows, {
        y: "label",
        x: "value",
        fill: BAR,
        title: (r: { label: string; value: number }) => `${r.label}: ${fmt(r.value)}`,
      }),
      Plot.text(rows, {
        y: "label",
        x: "value",
        text: (r: { value: number }) => fmt(r.value),
        textAnchor: "start",
        dx: 4,
      }),
      Plot.ruleX([0]),
    ],
  });
}

function valuesPerColumnChart(
  { Plot, document }: Renderer,
  shares: readonly { column: string; missing: number; invalid: number }[],
): Chart {
  const rowHeight = 26;
  const half = (rowHeight * 0.9) / 2;
  const title =
    (kind: string, share: (s: (typeof shares)[number]) => number) => (s: (typeof shares)[number]) =>
      `${s.column}: ${pct(share(s))} ${kind}`;
  return Plot.plot({
    document,
    width: 760,
    height: 40 + shares.length * rowHeight,
    marginLeft: 80,
    marginRight: 70,
    x: {
      domain: [0, Math.max(0.01, ...shares.map((s) => Math.max(s.missing, s.invalid)))],
      grid: true,
      label: "share of ok rows",
      tickFormat: "~%",
    },
    y: { domain: shares.map((s) => s.column), label: null, padding: 0.1 },
    color: { domain: ["missing", "invalid"], range: [MISSING, INVALID], legend: true },
    marks: [
      Plot.barX(shares, {
        y: "column",
        x: "missing",
        fill: () => "missing",
        insetBottom: half,
        title: title("missing", (s) => s.missing),
      }),
      Plot.barX(shares, {
        y: "column",
        x: "invalid",
        fill: () => "invalid",
        insetTop: half,
        title: title("invalid", (s) => s.invalid),
      }),
      Plot.ruleX([0]),
    ],
  });
}

function rangeSecondsChart({ Plot, document }: Renderer, rangeSeconds: readonly number[]): Chart {
  return Plot.plot({
    document,
    width: 560,
    height: 200,
    marginLeft: 50,
    x: { label: "seconds per range", tickFormat: "~f" },
    // Whole ranges only: an interval of 1 keeps a small histogram's ticks off fractions.
    y: { grid: true, label: "ranges", interval: 1, tickFormat: countTickLabel },
    marks: [
      Plot.rectY(rangeSeconds, { ...Plot.binX({ y: "count" }, { x: (s: number) => s }), fill: BAR }),
      Plot.ruleY([0]),
    ],
  });
}

function runFactRows(v: ValidationReport, run: RunFacts | undefined): (readonly unknown[])[] {
  const where = (bucket: string | undefined, key: string) => (bucket ? `s3://${bucket}/${key}` : key);
  const rows: (readonly unknown[])[] = [];
  const archive = v.source.archive;
  if (archive !== undefined) {
    rows.push([
      "uploaded",
      `${where(archive.bucket, archive.key)} (${archive.format}, ${fmt(archive.size)} bytes, member ${archive.member})`,
    ]);
  }
  rows.push(
    [archive === undefined ? "input" : "staged CSV", where(v.source.bucket, v.source.key)],
    ["bytes", fmt(v.source.size)],
    [
      "ranges",
      `${fmt(v.coverage.ranges)}${run?.rangeBytes === undefined ? "" : ` of ${fmt(run.rangeBytes)} bytes`} (coverage proven)`,
    ],
    ["dates", `${v.date.min ?? "-"} to ${v.date.max ?? "-"}`],
    ["times", `${v.time.min ?? "-"} to ${v.time.max ?? "-"}`],
  );
  const stages = run?.stageSeconds;
  if (stages !== undefined) {
    const parts = (["inflate", "plan", "map", "reduce"] as const).flatMap((s) =>
      stages[s] === undefined ? [] : [`${s} ${seconds(stages[s])}`],
    );
    rows.push(["time per stage", parts.join(", ")]);
    const busy = stages.map ?? Object.values(stages).reduce((a, b) => a + (b ?? 0), 0);
    if (busy > 0)
      rows.push([
        "throughput",
        `${(v.source.size / 1e6 / busy).toFixed(1)} MB/s (${stages.map === undefined ? "all stages" : "map stage"})`,
      ]);
  }
  const durations = run?.rangeSeconds;
  if (durations !== undefined && durations.length > 0) {
    const sorted = [...durations].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
    rows.push([
      "range time",
      `median ${seconds(at(0.5))}, p95 ${seconds(at(0.95))}, max ${seconds(sorted.at(-1)!)}`,
    ]);
  }
  return rows;
}

function observed(c: ValidationReport["checks"][number]): string {
  return /Share/.test(c.name) ? pct(c.observed) : fmt(c.observed);
}

/** The page for one run. Rendering takes a few tens of milliseconds once Plot is loaded. */
export async function renderReport({ validation: v, quarantine = [] }: ReportInput): Promise<string> {
  const r = await loadRenderer();
  const rows = v.rows;
  const parsed = rows.ok + rows.corrupt;
  const outcomes = [
    { label: "ok", value: rows.ok },
    { label: "corrupt", value: rows.corrupt },
    { label: "sampled out", value: rows.sampledOut },
  ];
  const columns = Object.keys(v.missingByColumn) as (keyof typeof v.missingByColumn)[];
  const shares = columns.map((column) => ({
    column,
    missing: rows.ok === 0 ? 0 : v.missingByColumn[column] / rows.ok,
    invalid: rows.ok === 0 ? 0 : v.invalidByColumn[column] / rows.ok,
  }));
  const corrupt = Object.entries(v.corruptByReason)
    .map(([reason, n]) => ({ label: reason, value: n ?? 0 }))
    .sort((a, b) => b.value - a.value || a.label.localeCompare(b.label));
  const examples = quarantineExamples(quarantine);
  const ips = v.topIps.map((t) => ({ label: t.ip, value: t.count }));
  const ipLabelWidth = Math.min(220, 20 + 7 * Math.max(8, ...ips.map((i) => i.label.length)));
  const rangeSeconds = v.run?.rangeSeconds;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>EDGAR log run ${esc(v.source.stem)}: ${v.status}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:62em;padding:0 1em;color:#222}
h1 .pass,h1 .fail{font-size:.7em;padding:.1em .5em;border-radius:.3em;color:#fff;vertical-align:middle}
h1 .pass{background:#1a7f37}h1 .fail{background:#c62828}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:right}
th{background:#f3f3f3}td:first-child{text-align:left}td.pass{color:#1a7f37}td.fail{color:#c62828;font-weight:bold}
#run-facts td:last-child{text-align:left}#examples td:nth-last-child(-n+2){text-align:left;font-family:monospace;font-size:.85em;max-width:30em;overflow-wrap:anywhere}
#errors-by-hour-table{font-size:.75em}figure{margin:1em 0}figcaption{font-weight:bold;margin-bottom:.3em}
</style>
</head><body>
<h1>EDGAR log run: ${esc(v.source.stem)} <span class="${v.status}">${v.status.toUpperCase()}</span></h1>
<p>Run <code>${esc(v.runId)}</code>: ${fmt(rows.read)} records read = ${fmt(rows.ok)} ok + ${fmt(rows.corrupt)} corrupt + ${fmt(rows.sampledOut)} sampled out; ${fmt(v.serverErrors)} server errors; ${fmt(v.distinctIps)} distinct IPs.</p>
<section><h2>Run</h2>${table("run-facts", null, runFactRows(v, v.run))}
${rangeSeconds !== undefined && rangeSeconds.length > 0 ? figure("range-seconds", "Time per range", rangeSecondsChart(r, rangeSeconds)) : ""}</section>
<section><h2>Checks</h2>${table(
    "checks",
    ["check", "observed", "limit", "status"],
    v.checks.map((c) => [c.name, observed(c), c.limit, c.status]),
  ).replace(
    /<td>(pass|fail)<\/td><\/tr>/g,
    '<td class="$1">$1</td></tr>',
  )}${v.checks.length === 0 ? "<p>No checks configured.</p>" : ""}</section>
<section><h2>Rows by outcome</h2>${figure("rows-by-outcome", "Records read, by outcome", horizontalBars(r, outcomes, "records", 90))}
${table("rows", ["read", "ok", "corrupt", "sampled out", "blank lines"], [[fmt(rows.read), fmt(rows.ok), fmt(rows.corrupt), fmt(rows.sampledOut), fmt(rows.blank)]])}</section>
<section><h2>Server errors by hour</h2>${figure("errors-by-hour", `Server errors (5xx) per hour of day, ${fmt(v.serverErrors)} in all`, errorsByHourChart(r, v.serverErrorsByHour))}
${table("errors-by-hour-table", ["hour", ...v.serverErrorsByHour.map((_, h) => hourLabel(h))], [["errors", ...v.serverErrorsByHour.map(fmt)]])}</section>
<section><h2>Most active IPs</h2>${ips.length === 0 ? "<p>No ok rows.</p>" : figure("top-ips", `Requests per IP, top ${ips.length} of ${fmt(v.distinctIps)}`, horizontalBars(r, ips, "requests", ipLabelWidth))}
${table(
  "top-ips-table",
  ["rank", "ip", "requests"],
  v.topIps.map((t, i) => [i + 1, t.ip, fmt(t.count)]),
)}</section>
<section><h2>Missing and invalid values per column</h2>
<p>Shares of the ${fmt(rows.ok)} ok rows. A missing optional value is null in the tables; an invalid one (present but not parseable) became null too. A record missing a required value is corrupt instead.</p>
${figure("values-per-column", "Missing and invalid values per column", valuesPerColumnChart(r, shares))}
${table(
  "values-per-column-table",
  ["column", "missing", "missing share", "invalid", "invalid share"],
  shares.map((s) => [
    s.column,
    fmt(v.missingByColumn[s.column]),
    pct(s.missing),
    fmt(v.invalidByColumn[s.column]),
    pct(s.invalid),
  ]),
)}</section>
<section><h2>Corrupt records</h2>${
    corrupt.length === 0
      ? "<p>None.</p>"
      : `${figure("corrupt-reasons", "Corrupt records by reason", horizontalBars(r, corrupt, "records", 130))}
${table(
  "corrupt-table",
  ["reason", "records", "share of parsed"],
  corrupt.map((c) => [c.label, fmt(c.value), pct(parsed === 0 ? 0 : c.value / parsed)]),
)}`
  }
<p>${fmt(v.quarantine.records)} quarantined in full (quarantine.jsonl), ${fmt(v.quarantine.notCopied)} counted only.</p>
${
  examples.length === 0
    ? ""
    : `<h3>Examples</h3>${table(
        "examples",
        ["byte offset", "line", "reason", "detail", "record"],
        examples.map((e) => [fmt(e.offset), fmt(e.line), e.reason, e.detail, clip(e.raw, RAW_SHOWN_CHARS)]),
      )}`
}</section>
</body></html>
`;
}
