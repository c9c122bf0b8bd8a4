/**
 * One way to read bytes, whatever holds them: a local file, an S3 object, memory.
 * The core only ever sees this interface.
 */
export interface ByteSource {
  /** Total size in bytes. */
  readonly size: number;
  /** Human-readable location for error messages, e.g. `s3://bucket/key` or a path. */
  readonly name: string;
  /**
   * Streams bytes [start, end) in order (end defaults to size, exclusive). A consumer may stop
   * early (break out of `for await`); the source must then release its connection or file.
   */
  stream(start: number, end?: number): AsyncIterable<Uint8Array>;
}

/** A ByteSource over bytes already in memory; for tests and small inputs. */
export function memoryByteSource(bytes: Uint8Array, name = "memory", chunkBytes = 1 << 20): ByteSource {
  return {
    size: bytes.length,
    name,
    async *stream(start: number, end = bytes.length) {
      for (let p = start; p < end; p += chunkBytes) {
        yield bytes.subarray(p, Math.min(end, p + chunkBytes));
      }
    },
  };
}
