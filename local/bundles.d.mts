/** The repository's root directory. */
export const REPO: string;
/** sha256 (16 hex digits) of `salt`, the files under `dirs` and `files`, relative to the repo. */
export function sourcesHash(dirs: readonly string[], files: readonly string[], salt?: string): string;
/** sourcesHash of BUNDLED_SOURCES, computed once per thread. */
export function bundledSourcesHash(): string;
/** The path of a bundle of the module at `entry`, built from the sources whose hash is `hash` unless built before. */
export function bundleModule(entry: string, hash: string): Promise<string>;
/** The CLI module (local/cli.ts) as a loaded bundle, or through tsx's loader if it cannot be bundled. */
export function loadCli(): Promise<typeof import("./cli")>;
