/**
 * Encodes backup items as Aerospike's text backup format "Version 3.1" (enc_text.c), byte for
 * byte: the file header, `* i` / `* u` global lines, and records as `+` metadata lines followed by
 * one `-` line per bin.
 */
import { Particle } from '../../protocol/particle.js';
import { BYTES_LABELS, type BackupRecord, type BackupSIndex, type BackupUdf, type BackupItem } from './record.js';
import { escapeName, formatDouble } from './text-scalars.js';

export const VERSION_LINE = 'Version 3.1\n';

/** A growable byte buffer reused across records, so encoding allocates only when a record is larger than any before. */
export class ByteWriter {
  buf: Buffer;
  pos = 0;
  constructor(initialBytes = 4096) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  reset(): void {
    this.pos = 0;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Appends text as UTF-8. */
  text(s: string): void {
    this.ensure(s.length * 3);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** The bytes written since the last reset: a view, valid until the next write. */
  view(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

/** The header every backup file starts with; the first file of a backup also says `# first-file`. */
export function encodeHeader(namespace: string, firstFile: boolean): Buffer {
  return Buffer.from(`${VERSION_LINE}# namespace ${escapeName(namespace)}\n${firstFile ? '# first-file\n' : ''}`);
}

/** `<prefix> <size> <data>\n` — strings, GeoJSON and compact bytes. */
function data(w: ByteWriter, prefix: string, value: Buffer): void {
  w.text(`${prefix} ${value.length} `);
  w.bytes(value);
  w.text('\n');
}

/** `<prefix> <b64 size> <base64>\n` — bytes in the default (non-compact) form. */
function dataB64(w: ByteWriter, prefix: string, value: Buffer): void {
  const b64 = value.toString('base64');
  w.text(`${prefix} ${b64.length} ${b64}\n`);
}

function int64Text(v: Buffer): string {
  return v.readBigInt64BE(0).toString();
}

/**
 * Appends one record. Throws when a bin or key has a type the format cannot hold, before anything
 * of the record was appended (so a caller never writes half a record).
 */
export function encodeRecord(w: ByteWriter, rec: BackupRecord, compact: boolean): void {
  for (const b of rec.bins) {
    if (!isEncodableBinType(b.type)) throw new Error(`bin ${b.name} has particle type ${b.type}, which a backup cannot hold`);
  }
  const key = rec.key;
  if (key) {
    switch (key.type) {
      case Particle.INTEGER:
        w.text(`+ k I ${int64Text(key.value)}\n`);
        break;
      case Particle.FLOAT:
        w.text(`+ k D ${formatDouble(key.value.readDoubleBE(0))}\n`);
        break;
      case Particle.STRING:
        data(w, '+ k S', key.value);
        break;
      default:
        // every blob flavour is backed up as a plain blob key, as the C client presents it
        if (compact) data(w, '+ k B!', key.value);
        else dataB64(w, '+ k B', key.value);
    }
  }
  w.text(`+ n ${escapeName(rec.namespace)}\n+ d ${rec.digest.toString('base64')}\n`);
  if (rec.set !== undefined && rec.set.length > 0) w.text(`+ s ${escapeName(rec.set)}\n`);
  w.text(`+ g ${rec.generation}\n+ t ${rec.voidTime}\n+ b ${rec.bins.length}\n`);
  for (const b of rec.bins) encodeBin(w, b.name, b.type, b.value, compact);
}

function isEncodableBinType(t: number): boolean {
  return (
    t === Particle.NULL ||
    t === Particle.INTEGER ||
    t === Particle.FLOAT ||
    t === Particle.STRING ||
    t === Particle.BOOL ||
    t === Particle.GEOJSON ||
    BYTES_LABELS.has(t)
  );
}

function encodeBin(w: ByteWriter, rawName: string, type: number, value: Buffer, compact: boolean): void {
  const name = escapeName(rawName);
  switch (type) {
    case Particle.NULL:
      w.text(`- N ${name}\n`);
      return;
    case Particle.BOOL:
      w.text(`- Z ${name} ${value[0] ? 'T' : 'F'}\n`);
      return;
    case Particle.INTEGER:
      w.text(`- I ${name} ${int64Text(value)}\n`);
      return;
    case Particle.FLOAT:
      w.text(`- D ${name} ${formatDouble(value.readDoubleBE(0))}\n`);
      return;
    case Particle.STRING:
      data(w, `- S ${name}`, value);
      return;
    case Particle.GEOJSON:
      data(w, `- G ${name}`, value);
      return;
  }
  const label = BYTES_LABELS.get(type)!;
  if (compact) data(w, `- ${label}! ${name}`, value);
  else dataB64(w, `- ${label} ${name}`, value);
}

/** Appends a `* i` line (enc_text.c text_put_secondary_index). */
export function encodeSIndex(w: ByteWriter, ix: BackupSIndex): void {
  w.text(`* i ${escapeName(ix.namespace)} ${escapeName(ix.set)} ${escapeName(ix.name)} ${ix.indexType} ${ix.paths.length}`);
  for (const p of ix.paths) w.text(` ${escapeName(p.path)} ${p.type}`);
  if (ix.context !== undefined) w.text(` ${escapeName(ix.context)}`);
  w.text('\n');
}

/** Appends a `* u` line: the module's source follows its byte size verbatim. */
export function encodeUdf(w: ByteWriter, udf: BackupUdf): void {
  w.text(`* u ${udf.type} ${escapeName(udf.name)} ${udf.content.length} `);
  w.bytes(udf.content);
  w.text('\n');
}

/** Appends any item. */
export function encodeItem(w: ByteWriter, item: BackupItem, compact: boolean): void {
  if (item.kind === 'record') encodeRecord(w, item, compact);
  else if (item.kind === 'sindex') encodeSIndex(w, item);
  else encodeUdf(w, item);
}
