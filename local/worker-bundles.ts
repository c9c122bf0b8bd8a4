/**
 * What a worker thread runs: a TypeScript module bundled by esbuild (bundles.mjs), so a worker
 * starts without tsx's loader (about a second of each worker's start on two cores). No build step
 * for the user: the first run builds it.
 */
import { fileURLToPath, pathToFileURL } from "node:url";
import { bundledSourcesHash, bundleModule } from "./bundles.mjs";

const bundles = new Map<string, Promise<string>>();

/** The URL of a bundle of the module at `moduleUrl`; the module's own URL if bundling fails. */
export function workerModule(moduleUrl: string): Promise<string> {
  if (!moduleUrl.endsWith(".ts")) return Promise.resolve(moduleUrl);
  let bundle = bundles.get(moduleUrl);
  if (bundle === undefined) {
    bundle = bundleModule(fileURLToPath(moduleUrl), bundledSourcesHash()).then(
      (path) => pathToFileURL(path).href,
      () => moduleUrl,
    );
    bundles.set(moduleUrl, bundle);
  }
  return bundle;
}
