/**
 * Reusable buffers for large answer frames (batch, scan). A fresh 100+ KiB buffer per frame is a
 * fresh mapping the kernel must fault in page by page while the answer is copied into it; the
 * batch bench spent ~40% of the node's time there. A frame's buffer comes back here once the
 * socket has handed it to the kernel.
 */
const FRAME_BUFFER_BYTES = 256 * 1024;
const MAX_POOLED = 32;

const free: Buffer[] = [];

/** A buffer of at least `minBytes` (pooled when it fits the pool's size). */
export function acquireFrameBuffer(minBytes: number): Buffer {
  if (minBytes <= FRAME_BUFFER_BYTES) return free.pop() ?? Buffer.allocUnsafeSlow(FRAME_BUFFER_BYTES);
  return Buffer.allocUnsafe(minBytes);
}

/** Returns a buffer from acquireFrameBuffer (any view of it) once nothing reads it any more. */
export function releaseFrameBuffer(view: Buffer): void {
  if (view.buffer.byteLength !== FRAME_BUFFER_BYTES || view.byteOffset !== 0 || free.length >= MAX_POOLED) return;
  free.push(Buffer.from(view.buffer, 0, FRAME_BUFFER_BYTES));
}
