/**
 * Letting go of big buffers now instead of at the next garbage collection. A reduce holds every
 * partial until the IP merge has read them (a 2.7 GB day: 172 MB), then builds the tables and
 * their Parquet in fresh memory; V8 frees a buffer only once a full collection finds it dead,
 * which came after the peak: the partials and the outputs were in memory together.
 *
 * Node 20 has no ArrayBuffer.prototype.transfer: posting a buffer through a MessageChannel
 * detaches it (every view of it becomes empty) and hands its memory to the message, which
 * closing both ports drops unread. Only a buffer nothing else may be viewing is to be released.
 */
import { once } from "node:events";
import { MessageChannel } from "node:worker_threads";

/**
 * Whether a buffer may be released at all: not shared memory, and larger than a slab of Node's
 * Buffer pool (which hands out slices of shared 8 KiB slabs).
 */
function releasable(buffer: ArrayBufferLike): buffer is ArrayBuffer {
  return buffer instanceof ArrayBuffer && buffer.byteLength > Buffer.poolSize;
}

/** Whether `bytes` is the whole of a buffer of its own: what get() returns for an object it read. */
export function ownsItsBuffer(bytes: Uint8Array): boolean {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && releasable(bytes.buffer);
}

/**
 * Detaches `buffers` (every view of them reads as empty after) and frees their memory, which is
 * done when the returned promise settles (the channel's ports have closed). Shared memory and
 * buffers no larger than a pool slab are left alone.
 */
export async function releaseBuffers(buffers: Iterable<ArrayBufferLike>): Promise<void> {
  const unique = [...new Set(buffers)].filter(releasable);
  if (unique.length === 0) return;
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(null, unique);
  const closed = Promise.all([port1, port2].map((port) => once(port, "close")));
  port1.close();
  port2.close();
  await closed;
}
