/** The human summary printed after a local run. */
import { join } from "node:path";
import type { ValidationReport } from "../functions/core/validation";

const n = (v: number) => v.toLocaleString("en-US");

/** `engine` says how the run was executed (and where its time went, if known). */
export function formatSummary(v: ValidationReport, seconds: number, outDir: string, engine: string): string {
  const r = v.rows;
  const byHour = v.serverErrorsByHour.flatMap((c, h) =>
    c > 0 ? [`${String(h).padStart(2, "0")}h ${n(c)}`] : [],
  );
  const lines = [
    `run ${v.runId}: ${v.status === "pass" ? "PASS" : "FAIL"}`,
    `  engine       ${engine}`,
    v.source.archive === undefined
      ? `  input        ${v.source.key} (${n(v.source.size)} bytes, ${n(v.coverage.ranges)} ranges, coverage proven)`
      : `  input        ${v.source.archive.key} (${v.source.archive.format}, ${n(v.source.archive.size)} bytes) -> ${v.source.archive.member} (${n(v.source.size)} bytes, ${n(v.coverage.ranges)} ranges, coverage proven)`,
    `  rows         read ${n(r.read)} = ok ${n(r.ok)} + corrupt ${n(r.corrupt)} + sampled out ${n(r.sampledOut)}; blank lines ${n(r.blank)}`,
    `  dates        ${v.date.min ?? "-"} .. ${v.date.max ?? "-"}, times ${v.time.min ?? "-"} .. ${v.time.max ?? "-"}`,
    `  5xx errors   ${n(v.serverErrors)}`,
    `  by hour      ${byHour.join("  ") || "none"}`,
    `  top 5 IPs    ${
      v.topIps
        .slice(0, 5)
        .map((t) => `${t.ip} ${n(t.count)}`)
        .join(", ") || "none"
    } (${n(v.distinctIps)} distinct)`,
  ];
  const corrupt = Object.entries(v.corruptByReason);
  if (corrupt.length > 0)
    lines.push(`  corrupt      ${corrupt.map(([k, c]) => `${k} ${n(c ?? 0)}`).join(", ")}`);
  lines.push(
    `  checks       ${v.checks.map((c) => `${c.name} ${c.status} (${round(c.observed)} ${c.limit})`).join(", ") || "none configured"}`,
    `  time         ${seconds.toFixed(2)} s: ${(v.source.size / 1e6 / seconds).toFixed(1)} MB/s, ${n(Math.round(r.read / seconds))} rows/s`,
    `  output       ${outDir}  (report: ${join(outDir, "_runs", `source=${v.source.stem}`, "report.html")})`,
  );
  return lines.join("\n");
}

function round(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(3);
}
