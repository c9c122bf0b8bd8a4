/**
 * What a worker thread runs: a TypeScript module bundled by esbuild into one ESM file, cached in
 * `.cache/bundles/` until the sources or the locked packages change. A worker then starts
 * without tsx's loader (about a second of each worker's start on two cores); packages stay
 * external and load from node_modules. No build step for the user: the first run builds it.
 */
import { existsSync, mkdirSync, renameSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { REPO, sourcesHash } from "./source-hash";

let sources: string | undefined;
const bundles = new Map<string, Promise<string>>();

/** The URL of a bundle of the module at `moduleUrl`; the module's own URL if bundling fails. */
export function workerModule(moduleUrl: string): Promise<string> {
  if (!moduleUrl.endsWith(".ts")) return Promise.resolve(moduleUrl);
  let bundle = bundles.get(moduleUrl);
  if (bundle === undefined) {
    bundle = buildBundle(moduleUrl).catch(() => moduleUrl);
    bundles.set(moduleUrl, bundle);
  }
  return bundle;
}

async function buildBundle(moduleUrl: string): Promise<string> {
  sources ??= sourcesHash(["functions", "local"], ["package-lock.json"]);
  const entry = fileURLToPath(moduleUrl);
  const dir = join(REPO, ".cache", "bundles", sources);
  // The sources hash covers the entry's content; its path names the bundle (handler.ts recurs).
  const out = join(
    dir,
    `${relative(REPO, entry)
      .replace(/\.ts$/, "")
      .replace(/[^A-Za-z0-9]+/g, "-")}.mjs`,
  );
  if (!existsSync(out)) {
    const { build } = await import("esbuild");
    mkdirSync(dir, { recursive: true });
    const partial = `${out}.${process.pid}.tmp.mjs`;
    await build({
      entryPoints: [entry],
      outfile: partial,
      bundle: true,
      packages: "external",
      platform: "node",
      format: "esm",
      target: "node20",
      logLevel: "silent",
    });
    renameSync(partial, out);
  }
  return pathToFileURL(out).href;
}
