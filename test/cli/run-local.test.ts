/**
 * runLocal's range sizing: a run that names no range size is cut for its workers
 * (rangeBytesForWorkers, two rounds each), and gives the tables a run at a named size gives.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_RUN_OPTIONS, type Plan } from "../../functions/contracts";
import { runLocal } from "../../local/run-local";
import { generatedDay } from "../helpers/generated-day";

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "edgar-run-local-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Every output file under `dir` (the run's own files aside), by its path. */
async function tables(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    if (entry.isFile() && !path.includes("_runs")) files.set(path.slice(dir.length), await readFile(path));
  }
  return files;
}

describe("runLocal's range sizing", () => {
  it("cuts a run that names no size into two rounds per worker; the tables match a run at a named size", async () => {
    // Arrange: a ~200 kB day; the floor (options.rangeBytes) well below a quarter of it.
    const file = join(tmp, "day.csv");
    const bytes = generatedDay(200_000, 5);
    await writeFile(file, bytes);
    const options = { ...DEFAULT_RUN_OPTIONS, rangeBytes: 4096 };

    // Act
    const sized = await runLocal({
      file,
      outDir: join(tmp, "sized"),
      options,
      concurrency: 2,
      rangesForWorkers: true,
      runId: "sized",
      workDir: join(tmp, "sized-work"),
    });
    const named = await runLocal({
      file,
      outDir: join(tmp, "named"),
      options,
      concurrency: 2,
      runId: "named",
    });

    // Assess
    expect(sized.plan.rangeCount).toBe(4);
    expect(named.plan.rangeCount).toBe(Math.ceil((bytes.length - 95) / 4096 / 2) * 2);
    const plan = JSON.parse(await readFile(join(tmp, "sized-work", sized.plan.planKey), "utf8")) as Plan;
    expect(plan.options.rangeBytes).toBe(Math.ceil(bytes.length / 4));
    expect(sized.validation.rows).toEqual(named.validation.rows);
    const [a, b] = [await tables(join(tmp, "sized")), await tables(join(tmp, "named"))];
    expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
    for (const [path, content] of a) expect(content.equals(b.get(path)!), path).toBe(true);
  });
});
