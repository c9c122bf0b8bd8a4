// Bundles of the TypeScript sources, so a process or a worker thread starts without tsx's loader:
// through the loader every module (packages included) is resolved on a hooks thread and each
// source compiled at load, which costs each process about half a second of a core. esbuild builds
// a module and what it imports from the repository into an ESM file (and one per module imported
// dynamically), cached in .cache/bundles/<hash of the sources>/ until the sources or the locked
// packages change; packages stay external and load from node_modules, but for the chart renderer's
// (BUNDLED_PACKAGES). Plain JavaScript: the CLI's launcher loads it first.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";

export const REPO = resolve(import.meta.dirname, "..");

/** sha256 (16 hex digits) of `salt`, the files under `dirs` and `files`, relative to the repo. */
export function sourcesHash(dirs, files, salt = "") {
  const hash = createHash("sha256").update(salt);
  const all = [...files];
  const walk = (dir) => {
    for (const entry of readdirSync(join(REPO, dir), { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else all.push(path);
    }
  };
  for (const dir of dirs) walk(dir);
  for (const f of all) hash.update(f).update(readFileSync(join(REPO, f)));
  return hash.digest("hex").slice(0, 16);
}

/** What every bundle's sources are: the code it can import, the locked packages, the compiler settings. */
const BUNDLED_SOURCES = {
  dirs: ["functions", "infra", "local"],
  files: ["package-lock.json", "tsconfig.json"],
};

// Kept on globalThis, not in this module: the launcher loads this file and the CLI's bundle holds
// a copy of it, and both need the hash; it is computed once per thread (~100 files read).
const SOURCES_HASH = Symbol.for("edgar-etl.bundledSourcesHash");

/** sourcesHash of BUNDLED_SOURCES, computed once per thread. */
export function bundledSourcesHash() {
  globalThis[SOURCES_HASH] ??= sourcesHash(BUNDLED_SOURCES.dirs, BUNDLED_SOURCES.files);
  return globalThis[SOURCES_HASH];
}

/**
 * The path of a bundle of the module at `entry` (a path), built from the sources whose hash is
 * `hash` unless built before. Throws if esbuild cannot build it. A module imported dynamically
 * gets a file of its own (esbuild's code splitting), so it and the packages it imports still
 * load only when it is imported (the CLI's AWS commands load aws-cdk-lib; a run does not).
 */
export async function bundleModule(entry, hash) {
  // The sources hash covers the entry's content; its path names the bundle (handler.ts recurs).
  const name = relative(REPO, entry)
    .replace(/\.[mc]?ts$/, "")
    .replace(/[^A-Za-z0-9]+/g, "-");
  const dir = join(REPO, ".cache", "bundles", hash, name);
  const out = join(dir, `${name}.mjs`);
  if (!existsSync(out)) {
    const { build } = await import("esbuild");
    const partial = `${dir}.${process.pid}.tmp`;
    await build({
      entryPoints: { [name]: entry },
      outdir: partial,
      outExtension: { ".js": ".mjs" },
      bundle: true,
      splitting: true,
      platform: "node",
      format: "esm",
      target: "node20",
      logLevel: "silent",
      plugins: [sourceLocations, packagesExternal],
    });
    // Another process may have built the same bundle meanwhile: either copy will do.
    try {
      renameSync(partial, dir);
    } catch {
      rmSync(partial, { recursive: true, force: true });
    }
  }
  return out;
}

/**
 * Packages bundled in, with what they import: the report's chart renderer (report.ts imports
 * them dynamically, so they become a chunk of their own, loaded only to render). Loaded from
 * node_modules they cost about 0.4 s of a core, mostly resolving and reading hundreds of d3 and
 * DOM modules one by one; from one chunk, under 0.1 s.
 */
export const BUNDLED_PACKAGES = ["@observablehq/plot", "linkedom"];

/**
 * Every other package stays external, loaded from node_modules as Node resolves it (esbuild's
 * `packages: "external"`, but for BUNDLED_PACKAGES): what a bundled package imports is bundled.
 */
const packagesExternal = {
  name: "packages-external",
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith("node:") || args.importer.includes(`${sep}node_modules${sep}`))
        return undefined;
      const name = args.path.startsWith("@")
        ? args.path.split("/").slice(0, 2).join("/")
        : args.path.split("/")[0];
      return BUNDLED_PACKAGES.includes(name) ? undefined : { path: args.path, external: true };
    });
  },
};

/**
 * A bundled module keeps the location of the source it came from: `import.meta.url`, `.dirname`
 * and `.filename` become that file's own, so paths resolved against them (a worker's script, a
 * handler's source, the repository root) do not move into .cache/ with the bundle.
 */
const sourceLocations = {
  name: "source-locations",
  setup(build) {
    build.onLoad({ filter: /\.(?:[mc]?ts|mjs)$/ }, async (args) => {
      if (args.path.includes(`${sep}node_modules${sep}`)) return undefined;
      const location = {
        url: pathToFileURL(args.path).href,
        dirname: dirname(args.path),
        filename: args.path,
      };
      const contents = (await readFile(args.path, "utf8")).replace(
        /\bimport\.meta\.(url|dirname|filename)\b/g,
        (_, name) => JSON.stringify(location[name]),
      );
      return { contents, loader: /\.[mc]?ts$/.test(args.path) ? "ts" : "js" };
    });
  },
};

/**
 * The CLI module (local/cli.ts) as a loaded bundle; through tsx's loader, from its source, if it
 * cannot be bundled (esbuild missing, say).
 */
export async function loadCli() {
  const source = join(REPO, "local", "cli.ts");
  let url;
  try {
    url = pathToFileURL(await bundleModule(source, bundledSourcesHash())).href;
  } catch {
    const { register } = await import("tsx/esm/api");
    register();
    url = pathToFileURL(source).href;
  }
  return import(url);
}
