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
  /**
   * Optional: stream(), but every chunk is a view of memory the source reads into again for a
   * later chunk, so a chunk is valid only until the next is asked for. For a consumer that
   * is done with each chunk before the next (the range scanner): a source that reads into
   * memory it holds (a file) then skips a fresh allocation, and its first-touch page faults,
   * per chunk.
   */
  streamReused?(start: number, end?: number): AsyncIterable<Uint8Array>;
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
