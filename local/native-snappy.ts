/**
 * Snappy from the `snappy` package (Rust, through N-API) for the local engine's Parquet pages:
 * at a day's ip_counts it compresses in a third of the time of parquetjs-lite's snappyjs. The
 * Lambdas keep snappyjs: a native module would have to be built for their architecture and
 * shipped beside the bundle. Where no binary loads (a platform the package has none for),
 * this is undefined and encodeParquet falls back to snappyjs: the same format, only slower.
 */
import { createRequire } from "node:module";
import type { SnappyCompress } from "../functions/core/parquet";

export const nativeSnappy: SnappyCompress | undefined = loadNativeSnappy();

function loadNativeSnappy(): SnappyCompress | undefined {
  try {
    const { compressSync } = createRequire(import.meta.url)("snappy") as {
      compressSync(input: Buffer): Buffer;
    };
    return (bytes) => compressSync(bytes);
  } catch {
    return undefined;
  }
}
