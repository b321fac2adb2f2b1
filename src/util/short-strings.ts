/**
 * Strings for the short names requests and stored records repeat over and over (bin names, at
 * most 15 bytes): a small direct-mapped cache keyed by the name's bytes, so decoding a name seen
 * recently makes no new string (a toString is a native call and an allocation per bin per
 * request). The answer is always what `buf.toString('utf8', start, end)` gives.
 */

/** Cache slots (a power of two). */
const SLOTS = 256;
/** Longest name kept (a bin name's limit); longer ones are decoded each time. */
const SHORT_NAME_MAX_BYTES = 15;
const SLOT_STRIDE = 16;
const NONE = 0xff;

const slotBytes = Buffer.alloc(SLOTS * SLOT_STRIDE);
const slotLength = new Uint8Array(SLOTS).fill(NONE);
const slotString: string[] = new Array<string>(SLOTS).fill('');

/** `buf.toString('utf8', start, end)`, from the cache when the same bytes were decoded recently. */
export function shortString(buf: Buffer, start: number, end: number): string {
  const len = end - start;
  if (len === 0) return '';
  if (len > SHORT_NAME_MAX_BYTES) return buf.toString('utf8', start, end);
  let h = len;
  for (let i = start; i < end; i++) h = Math.imul(h, 31) + buf[i]!;
  const slot = (h ^ (h >>> 11)) & (SLOTS - 1);
  const at = slot * SLOT_STRIDE;
  if (slotLength[slot] === len) {
    let i = 0;
    while (i < len && slotBytes[at + i] === buf[start + i]) i++;
    if (i === len) return slotString[slot]!;
  }
  const s = buf.toString('utf8', start, end);
  for (let i = 0; i < len; i++) slotBytes[at + i] = buf[start + i]!;
  slotLength[slot] = len;
  slotString[slot] = s;
  return s;
}
