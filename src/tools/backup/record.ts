/**
 * The items a backup file holds (Aerospike's text format "Version 3.1"): records, secondary-index
 * definitions and UDF modules, in the form the text encoder and decoder share. Values are kept as
 * bytes ("file form") so a decode → encode round trip is exact.
 */
import { Particle } from '../../protocol/particle.js';

/** A user key as stored with a record: integer and double are 8 bytes big-endian. */
export interface BackupKey {
  /** particle type: 1 integer, 2 double, 3 string, 4 blob */
  type: number;
  value: Buffer;
}

/**
 * One bin. `value` is the file form: integer/double 8 bytes BE, bool 1 byte, string and GeoJSON
 * the UTF-8 text (GeoJSON without the wire header), bytes-like types the raw bytes, nil empty.
 */
export interface BackupBin {
  name: string;
  /** particle type (0 nil, 1 int, 2 double, 3 string, 4/7–12 blobs, 17 bool, 18 HLL, 19 map, 20 list, 23 GeoJSON) */
  type: number;
  value: Buffer;
}

export interface BackupRecord {
  kind: 'record';
  key?: BackupKey;
  namespace: string;
  /** 20-byte RIPEMD-160 digest */
  digest: Buffer;
  /** undefined when the record is in no set */
  set?: string;
  generation: number;
  /** void-time in seconds since the Citrusleaf epoch (2010-01-01); 0 = never expires */
  voidTime: number;
  bins: BackupBin[];
}

export interface SIndexPath {
  path: string;
  /** S string, N numeric, G geo2dsphere, B blob */
  type: 'S' | 'N' | 'G' | 'B';
}

export interface BackupSIndex {
  kind: 'sindex';
  namespace: string;
  /** '' when the index covers the whole namespace */
  set: string;
  name: string;
  /** N default, L list, K map keys, V map values */
  indexType: 'N' | 'L' | 'K' | 'V';
  paths: SIndexPath[];
  /** base64 CDT context, when the index has one */
  context?: string;
}

export interface BackupUdf {
  kind: 'udf';
  /** L = Lua, the only UDF type Aerospike has */
  type: 'L';
  name: string;
  content: Buffer;
}

export type BackupItem = BackupRecord | BackupSIndex | BackupUdf;

/** Text-format letters for the bytes-like particle types (enc_text.c's label table). */
export const BYTES_LABELS: ReadonlyMap<number, string> = new Map([
  [Particle.BLOB, 'B'],
  [Particle.JAVA_BLOB, 'J'],
  [Particle.CSHARP_BLOB, 'C'],
  [Particle.PYTHON_BLOB, 'P'],
  [Particle.RUBY_BLOB, 'R'],
  [Particle.PHP_BLOB, 'H'],
  [Particle.ERLANG_BLOB, 'E'],
  [Particle.HLL, 'Y'],
  [Particle.MAP, 'M'],
  [Particle.LIST, 'L'],
]);

/** Inverse of BYTES_LABELS. */
export const LABEL_BYTES_TYPES: ReadonlyMap<string, number> = new Map([...BYTES_LABELS].map(([t, l]) => [l, t]));

/**
 * Converts a bin as a server returns it to its file form: GeoJSON loses the 3-byte header and any
 * cell ids (the server recomputes them on write), integers of other widths become 8 bytes.
 */
export function binFromWire(name: string, type: number, value: Buffer): BackupBin {
  if (type === Particle.GEOJSON) {
    const ncells = value.length >= 3 ? value.readUInt16BE(1) : 0;
    return { name, type, value: value.subarray(Math.min(value.length, 3 + ncells * 8)) };
  }
  if (type === Particle.INTEGER && value.length !== 8) {
    const out = Buffer.alloc(8);
    out.writeBigInt64BE(BigInt.asIntN(64, BigInt('0x' + (value.toString('hex') || '0'))));
    return { name, type, value: out };
  }
  return { name, type, value };
}

/** Converts a bin's file form to the bytes a write op carries. */
export function binToWire(bin: BackupBin): Buffer {
  if (bin.type === Particle.GEOJSON) {
    const out = Buffer.alloc(3 + bin.value.length);
    bin.value.copy(out, 3);
    return out;
  }
  return bin.value;
}
