/**
 * report.html: one self-contained page (inline SVG, no scripts, no network) that a person can
 * open from S3 or disk: the run's counts, checks, server errors by hour and the most active IPs.
 */
import type { ValidationReport } from "./validation";

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const fmt = (n: number) => n.toLocaleString("en-US");

function barChart(title: string, bars: readonly { label: string; value: number }[], unit: string): string {
  const width = 720;
  const barH = 18;
  const labelW = 150;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const rows = bars
    .map((b, i) => {
      const w = Math.round(((width - labelW - 90) * b.value) / max);
      const y = i * (barH + 4);
      return `<text x="${labelW - 6}" y="${y + 13}" text-anchor="end">${esc(b.label)}</text><rect x="${labelW}" y="${y}" width="${w}" height="${barH}" fill="#3b6ea8"><title>${esc(b.label)}: ${fmt(b.value)} ${unit}</title></rect><text x="${labelW + w + 6}" y="${y + 13}">${fmt(b.value)}</text>`;
    })
    .join("");
  const h = Math.max(1, bars.length) * (barH + 4);
  const body =
    bars.length === 0
      ? `<p>None.</p>`
      : `<svg role="img" aria-label="${esc(title)}" width="${width}" height="${h}" font-size="12" font-family="sans-serif">${rows}</svg>`;
  return `<section><h2>${esc(title)}</h2>${body}</section>`;
}

function table(headers: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const head = headers.map((h) => `<th>${esc(h)}</th>`).join("");
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`).join("");
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

export function renderReport(v: ValidationReport): string {
  const hours = v.serverErrorsByHour.map((value, hour) => ({
    label: `${String(hour).padStart(2, "0")}:00`,
    value,
  }));
  const ips = v.topIps.map((r) => ({ label: r.ip, value: r.count }));
  const r = v.rows;
  const columns = Object.keys(v.missingByColumn) as (keyof typeof v.missingByColumn)[];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>EDGAR log run ${esc(v.source.stem)}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:60em;color:#222}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:right}th{background:#f3f3f3}.pass{color:#1a7f37}.fail{color:#c62828;font-weight:bold}</style>
</head><body>
<h1>EDGAR log run: ${esc(v.source.stem)} <span class="${v.status}">${v.status.toUpperCase()}</span></h1>
<p>Run <code>${esc(v.runId)}</code> over <code>${esc(v.source.bucket ? `s3://${v.source.bucket}/${v.source.key}` : v.source.key)}</code>, ${fmt(v.source.size)} bytes in ${fmt(v.coverage.ranges)} ranges (coverage proven). Dates ${esc(v.date.min)} to ${esc(v.date.max)}, times ${esc(v.time.min)} to ${esc(v.time.max)}.</p>
<section><h2>Rows</h2>${table(["read", "ok", "corrupt", "sampled out", "blank lines", "server errors", "distinct IPs"], [[fmt(r.read), fmt(r.ok), fmt(r.corrupt), fmt(r.sampledOut), fmt(r.blank), fmt(v.serverErrors), fmt(v.distinctIps)]])}</section>
<section><h2>Checks</h2>${table(
    ["check", "observed", "limit", "status"],
    v.checks.map((c) => [c.name, c.observed, c.limit, c.status]),
  )}</section>
${barChart("Server errors by hour", hours, "server errors")}
${barChart(`Most active IPs (top ${ips.length})`, ips, "requests")}
<section><h2>Values per column (ok rows)</h2>${table(
    ["column", "missing", "invalid"],
    columns.map((c) => [c, fmt(v.missingByColumn[c]), fmt(v.invalidByColumn[c])]),
  )}</section>
<section><h2>Corrupt records</h2>${table(
    ["reason", "records"],
    Object.entries(v.corruptByReason).map(([k, n]) => [k, fmt(n ?? 0)]),
  )}<p>${fmt(v.quarantine.records)} quarantined in full, ${fmt(v.quarantine.notCopied)} counted only.</p></section>
</body></html>
`;
}
