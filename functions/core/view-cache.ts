/**
 * A DataView on the buffer last asked for, made again only when another buffer comes: the hot
 * paths read words from each line's buffer, and a range's lines come in a few chunk buffers.
 */
export class ViewCache {
  private view: DataView = new DataView(new ArrayBuffer(0));
  private viewed: Uint8Array | null = null;

  /** A DataView on `bytes`. */
  of(bytes: Uint8Array): DataView {
    if (bytes !== this.viewed) {
      this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      this.viewed = bytes;
    }
    return this.view;
  }
}
