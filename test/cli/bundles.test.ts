/**
 * The bundles the CLI and the worker threads run instead of the TypeScript sources: a bundled
 * module still knows where its source lives, a dynamic import still loads only when called, a
 * bundle is built once per sources hash, packages stay in node_modules but for the chart
 * renderer's, and the CLI's own bundle loads in plain Node.js.
 */
import { execFile } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundledSourcesHash, bundleModule, REPO } from "../../local/bundles.mjs";

const run = promisify(execFile);

describe("bundleModule", () => {
  let dir: string;
  const hash = `test-${process.pid}-${Date.now().toString(36)}`;
  const cacheDir = join(REPO, ".cache", "bundles", hash);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "edgar-etl-bundles-"));
    await writeFile(
      join(dir, "entry.ts"),
      [
        "export const url: string = import.meta.url;",
        "export const dirname: string = import.meta.dirname;",
        'export const lazyUrl = async (): Promise<string> => (await import("./lazy")).url;',
        "",
      ].join("\n"),
    );
    await writeFile(
      join(dir, "lazy.ts"),
      "(globalThis as { lazyLoaded?: boolean }).lazyLoaded = true;\nexport const url: string = import.meta.url;\n",
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(cacheDir, { recursive: true, force: true });
  });

  it("keeps each module's own location and loads a dynamic import only when it is called", async () => {
    // Act
    const path = await bundleModule(join(dir, "entry.ts"), hash);
    const bundled = (await import(pathToFileURL(path).href)) as {
      url: string;
      dirname: string;
      lazyUrl: () => Promise<string>;
    };

    // Assess
    expect(path.startsWith(cacheDir)).toBe(true);
    expect(bundled.url).toBe(pathToFileURL(join(dir, "entry.ts")).href);
    expect(bundled.dirname).toBe(dir);
    expect((globalThis as { lazyLoaded?: boolean }).lazyLoaded).toBeUndefined();
    expect(await bundled.lazyUrl()).toBe(pathToFileURL(join(dir, "lazy.ts")).href);
    expect((globalThis as { lazyLoaded?: boolean }).lazyLoaded).toBe(true);
    // The lazy module is a file of its own beside the entry's.
    expect(readdirSync(join(path, "..")).length).toBeGreaterThan(1);
  });

  it("builds a bundle once per sources hash and reuses it after", async () => {
    // Prepare
    const first = await bundleModule(join(dir, "entry.ts"), hash);
    const builtAt = statSync(first).mtimeMs;

    // Act
    const second = await bundleModule(join(dir, "entry.ts"), hash);

    // Assess
    expect(second).toBe(first);
    expect(statSync(second).mtimeMs).toBe(builtAt);
  });

  it("throws when the module cannot be built, and leaves nothing in the cache", async () => {
    // Prepare
    await writeFile(join(dir, "broken.ts"), "export const x = ;\n");

    // Act, Assess
    await expect(bundleModule(join(dir, "broken.ts"), hash)).rejects.toThrow(/Build failed/);
    expect(readdirSync(cacheDir).filter((name) => name.includes("broken"))).toEqual([]);
  });
});

describe("bundleModule and packages", () => {
  // Inside the repository, so that packages resolve from its node_modules.
  const dir = join(REPO, ".cache", `test-bundle-packages-${process.pid}`);
  const hash = `test-packages-${process.pid}-${Date.now().toString(36)}`;
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(join(REPO, ".cache", "bundles", hash), { recursive: true, force: true });
  });

  it("bundles the chart renderer's packages in a chunk of their own and leaves every other package to node_modules", async () => {
    // Prepare: a module importing a package statically and the renderer's two dynamically
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, "entry.ts"),
      [
        'import { parse } from "csv-parse/sync";',
        "export const rows = (text: string): string[][] => parse(text);",
        "export const render = async (): Promise<string> => {",
        '  const [Plot, { parseHTML }] = await Promise.all([import("@observablehq/plot"), import("linkedom")]);',
        '  const { document } = parseHTML("<!doctype html><html><body></body></html>");',
        "  return (Plot.barY([1, 2]).plot({ document }) as { outerHTML: string }).outerHTML;",
        "};",
        "",
      ].join("\n"),
    );

    // Act
    const path = await bundleModule(join(dir, "entry.ts"), hash);
    const bundled = (await import(pathToFileURL(path).href)) as {
      rows: (text: string) => string[][];
      render: () => Promise<string>;
    };

    // Assess: csv-parse is imported from node_modules; Plot and linkedom are not imported at all,
    // their code is in a chunk beside the entry, loaded when render() is called
    const files = readdirSync(join(path, ".."));
    const code = files.map((f) => readFileSync(join(path, "..", f), "utf8"));
    expect(code.join("\n")).toMatch(/from\s*"csv-parse\/sync"/);
    expect(code.join("\n")).not.toMatch(/(from|import\()\s*"(@observablehq\/plot|linkedom)"/);
    expect(readFileSync(path, "utf8")).not.toContain("linkedom/esm");
    expect(files.length).toBeGreaterThan(1);
    expect(bundled.rows("a,b\n")).toEqual([["a", "b"]]);
    expect(await bundled.render()).toMatch(/^<svg[^>]*>.*<rect/s);
  });
});

describe("the CLI's bundle", () => {
  it("loads and answers --help in plain Node.js, without tsx's loader", async () => {
    // Prepare
    const path = await bundleModule(join(REPO, "local", "cli.ts"), bundledSourcesHash());
    const script = `const { main } = await import(${JSON.stringify(pathToFileURL(path).href)}); process.exitCode = await main(["--help"]);`;

    // Act
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { cwd: tmpdir() });

    // Assess
    expect(stdout).toMatch(/^usage: edgar-etl <command>/);
  });
});
