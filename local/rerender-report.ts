/**
 * `edgar-etl report <out-dir>`: report.html rendered again from what a run committed, its
 * validation.json and quarantine.jsonl, so a page can be refreshed (or restored) without rerunning.
 */
import { existsSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { InputRejectedError } from "../functions/core/errors";
import { loadRenderer, type QuarantineLine, renderReport } from "../functions/core/report";
import { VALIDATION_FORMAT, type ValidationReport } from "../functions/core/validation";
import { outputKeys } from "../functions/stages/layout";

export interface RenderedReport {
  readonly path: string;
  readonly status: ValidationReport["status"];
  /** Rendering alone, reading and writing excluded. */
  readonly milliseconds: number;
}

/** Every committed source under `outDir` (or only `source`, its partition value), rendered again. */
export async function rerenderReports(outDir: string, source?: string): Promise<RenderedReport[]> {
  const runs = join(outDir, "_runs");
  const named =
    source === undefined ? undefined : outputKeys.runFile(source, "validation.json").split("/")[1]!;
  const dirs = existsSync(runs)
    ? (await readdir(runs, { withFileTypes: true }))
        .filter(
          (d) => d.isDirectory() && d.name.startsWith("source=") && (named === undefined || d.name === named),
        )
        .map((d) => d.name)
        .filter((name) => existsSync(join(runs, name, "validation.json")))
        .sort()
    : [];
  if (dirs.length === 0) {
    throw new InputRejectedError(
      `${outDir} has no _runs/${named ?? "source=*"}/validation.json: pass the --out directory of a finished run`,
    );
  }
  const rendered: RenderedReport[] = [];
  for (const dir of dirs) {
    const validationPath = join(runs, dir, "validation.json");
    const validation = JSON.parse(await readFile(validationPath, "utf8")) as ValidationReport;
    if (validation.format !== VALIDATION_FORMAT || validation.version !== 1) {
      throw new InputRejectedError(
        `${validationPath} has format ${JSON.stringify(validation.format)} version ${JSON.stringify(validation.version)}; this code reads ${VALIDATION_FORMAT} version 1`,
      );
    }
    const quarantinePath = join(runs, dir, "quarantine.jsonl");
    const quarantine = existsSync(quarantinePath)
      ? (await readFile(quarantinePath, "utf8"))
          .split("\n")
          .filter((line) => line !== "")
          .map((line) => JSON.parse(line) as QuarantineLine)
      : [];
    await loadRenderer();
    const started = performance.now();
    const html = await renderReport({ validation, quarantine });
    const milliseconds = performance.now() - started;
    const path = join(runs, dir, "report.html");
    await writeFile(path, html);
    rendered.push({ path, status: validation.status, milliseconds });
  }
  return rendered;
}
