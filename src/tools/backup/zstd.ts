/**
 * zstd for `-z zstd`. Node 20's zlib has no zstd, so compression and decompression come from
 * optional npm packages loaded at run time: `@bokuweb/zstd-wasm` (compression, WASM build of the
 * reference library) and `fzstd` (streaming decompression, pure JavaScript). Without them, zstd
 * fails with a message naming what to install.
 *
 * Each flushed buffer becomes one zstd frame; a file is a sequence of frames, which every zstd
 * decoder (Aerospike's ZSTD_decompressStream included) reads as one stream.
 */

export const ZSTD_COMPRESS_PACKAGE = '@bokuweb/zstd-wasm';
export const ZSTD_DECOMPRESS_PACKAGE = 'fzstd';

/** Raised when a zstd package is not installed. */
export class ZstdUnavailableError extends Error {}

export interface ZstdCompressor {
  /** Compresses one chunk into a complete frame. */
  frame(chunk: Buffer): Buffer;
}

export interface ZstdDecompressor {
  /** Feeds compressed bytes; returns the plain bytes they completed. `final` marks the end of input. */
  push(chunk: Buffer, final: boolean): Buffer[];
}

async function load(pkg: string, purpose: string): Promise<any> {
  // a variable specifier keeps TypeScript from requiring the optional package at build time
  const spec: string = pkg;
  try {
    return await import(spec);
  } catch {
    throw new ZstdUnavailableError(
      `zstd ${purpose} needs the npm package "${pkg}", which is not installed ` +
        `(Node ${process.versions.node}'s zlib has no zstd); run: npm install ${ZSTD_COMPRESS_PACKAGE} ${ZSTD_DECOMPRESS_PACKAGE}`,
    );
  }
}

/** Loads the compressor; `level` as zstd's (1–22, negatives for fast modes, 0 = default 3). */
export async function createZstdCompressor(level: number): Promise<ZstdCompressor> {
  const mod = await load(ZSTD_COMPRESS_PACKAGE, 'compression');
  const api = mod.compress ? mod : mod.default;
  await api.init();
  const lvl = level === 0 ? 3 : level;
  return {
    frame(chunk: Buffer): Buffer {
      const out: Uint8Array = api.compress(chunk, lvl);
      return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    },
  };
}

/** Loads the streaming decompressor. */
export async function createZstdDecompressor(): Promise<ZstdDecompressor> {
  const mod = await load(ZSTD_DECOMPRESS_PACKAGE, 'decompression');
  const api = mod.Decompress ? mod : mod.default;
  let out: Buffer[] = [];
  const d = new api.Decompress((chunk: Uint8Array) => {
    out.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  });
  return {
    push(chunk: Buffer, final: boolean): Buffer[] {
      try {
        d.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength), final);
      } catch (e) {
        throw new Error(`zstd data is corrupt: ${(e as Error).message}`);
      }
      const r = out;
      out = [];
      return r;
    },
  };
}
