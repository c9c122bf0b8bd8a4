/**
 * A hash of the repository files a cached artefact was built from (the synthesized pipeline, a
 * worker bundle): when any changes, the artefact is built again.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const REPO = resolve(import.meta.dirname, "..");

/** sha256 (16 hex digits) of `salt`, the files under `dirs` and `files`, relative to the repo. */
export function sourcesHash(dirs: readonly string[], files: readonly string[], salt = ""): string {
  const hash = createHash("sha256").update(salt);
  const all = [...files];
  const walk = (dir: string) => {
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
