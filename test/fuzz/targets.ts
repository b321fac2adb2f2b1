/**
 * Fuzz targets: every parser a client request or a file reaches, each wrapped so one input is one
 * call, with the oracle that decides what a failure is. A target may throw only the error type its
 * module documents for bad input (AsError with a result code, ConfigError, BackupParseError, ...);
 * anything else (a TypeError, a RangeError from a Buffer read, a stack overflow) is a crash.
 * Inputs are bounded by FUZZ_MAX_INPUT_BYTES so a run can never be slow because of input size.
 */
import { compileFilter, compileExpOp, compilePathExp } from '../../src/expressions/index.js';
import { compileRegex, regexMatches, RegexSyntaxError, RegexBudgetError } from '../../src/expressions/regex.js';
import { executeCdtWireOp } from '../../src/cdt/index.js';
import { executeBitWireOp } from '../../src/bits/index.js';
import { executeHllWireOp } from '../../src/hll/index.js';
import { parseMessage } from '../../src/protocol/message.js';
import { decodeKeyed, requestKind } from '../../src/protocol/request.js';
import { unpack, pack, MsgpackError, type AsValue } from '../../src/protocol/msgpack.js';
import { AsError } from '../../src/protocol/result-codes.js';
import { Particle } from '../../src/protocol/particle.js';
import { parseConfig, ConfigError } from '../../src/config/index.js';
import { parseInfoRequest } from '../../src/server/info-protocol.js';
import { BackupDecoder, BackupParseError, NeedMore } from '../../src/tools/backup/text-decoder.js';
import { alignUp, checkDeviceRecord, decodeFileHeader, IO_ALIGN, readBlockHeader } from '../../src/storage/device/format.js';
import { parseBlacklist, parseCrlDer, RevocationParseError } from '../../src/util/x509-revocation.js';

/** Largest input handed to a target (bytes); longer inputs are cut. */
export const FUZZ_MAX_INPUT_BYTES = 64 * 1024;

/** One fuzz target. */
export interface FuzzTarget {
  /** also the seed folder name under test/fixtures/fuzz/ */
  name: string;
  /** runs one input; throws only what `expected` accepts */
  run(data: Buffer): void;
  /** true for the documented bad-input errors of the module */
  expected(e: unknown): boolean;
}

const asErrorOnly = (e: unknown): boolean => e instanceof AsError && Number.isInteger(e.code);

/** Current bin values the op targets run against, chosen by the input's first byte. */
const CDT_CURRENT: (AsValue | undefined)[] = [
  undefined,
  [1, 2, 3, 'a', 'b', [4, 5]],
  unpack(pack([] as AsValue)),
];
const BLOB = (n: number): { type: number; value: Buffer } => ({ type: Particle.BLOB, value: Buffer.alloc(n, 0x5a) });

export const TARGETS: FuzzTarget[] = [
  {
    // an as_msg body (the bytes after the 8-byte proto header) through the message parser and the
    // typed-request decoder a keyed transaction uses
    name: 'message',
    run(data) {
      const msg = parseMessage(data, 0, data.length);
      requestKind(msg);
      decodeKeyed(msg, { namespace: (n: string) => (n === 'test' ? n : undefined) });
    },
    expected: asErrorOnly,
  },
  {
    name: 'msgpack',
    run(data) {
      const v = unpack(data);
      pack(v);
    },
    expected: (e) => e instanceof MsgpackError || asErrorOnly(e),
  },
  {
    // first byte: current value selector and modify flag; rest: the CDT op payload
    name: 'cdt',
    run(data) {
      if (data.length < 1) return;
      const current = CDT_CURRENT[data[0]! % CDT_CURRENT.length];
      executeCdtWireOp(current, data.subarray(1), (data[0]! & 0x80) !== 0);
    },
    expected: asErrorOnly,
  },
  {
    name: 'bits',
    run(data) {
      if (data.length < 1) return;
      const current = data[0]! & 1 ? BLOB(data[0]! >> 2) : undefined;
      executeBitWireOp(current, data.subarray(1), (data[0]! & 0x80) !== 0);
    },
    expected: asErrorOnly,
  },
  {
    name: 'hll',
    run(data) {
      if (data.length < 1) return;
      // the current value: none, or the input's own tail as a stored HLL particle
      const cut = Math.min(data.length, 1 + (data[0]! >> 1));
      const current = data[0]! & 1 ? { type: Particle.HLL, value: data.subarray(cut) } : undefined;
      executeHllWireOp(current, data.subarray(1, data[0]! & 1 ? cut : data.length), (data[0]! & 0x80) !== 0);
    },
    expected: asErrorOnly,
  },
  {
    // first byte: which compiler (filter, exp read/modify op, path expression)
    name: 'expression',
    run(data) {
      if (data.length < 1) return;
      const body = data.subarray(1);
      switch (data[0]! % 4) {
        case 0: compileFilter(body); break;
        case 1: compileExpOp(body, 'read'); break;
        case 2: compileExpOp(body, 'modify'); break;
        default: compilePathExp(body);
      }
    },
    expected: asErrorOnly,
  },
  {
    // byte 0: glibc flags; then pattern NUL subject
    name: 'regex',
    run(data) {
      if (data.length < 1) return;
      const rest = data.subarray(1);
      const nul = rest.indexOf(0);
      const pattern = nul < 0 ? rest : rest.subarray(0, nul);
      const subject = nul < 0 ? Buffer.alloc(0) : rest.subarray(nul + 1);
      const re = compileRegex(pattern, data[0]! & 0x0f);
      regexMatches(re, subject);
    },
    expected: (e) => e instanceof RegexSyntaxError || e instanceof RegexBudgetError || asErrorOnly(e),
  },
  {
    name: 'config',
    run(data) {
      parseConfig(data.toString('utf8'), 'fuzz.conf', () => {});
    },
    expected: (e) => e instanceof ConfigError,
  },
  {
    name: 'info',
    run(data) {
      parseInfoRequest(data);
    },
    expected: () => false,
  },
  {
    // a whole backup file: header, then items, resynchronising after each error as asrestore does
    name: 'backup',
    run(data) {
      const d = new BackupDecoder('fuzz.asb');
      let pos = d.parseHeader(data, 0, data.length, true).next;
      for (let guard = 0; pos < data.length; guard++) {
        if (guard > data.length + 1) throw new Error(`backup decoder made no progress at ${pos}`);
        try {
          const r = d.parseItem(data, pos, data.length, true);
          if (r === null) return;
          if (r.next <= pos) throw new Error(`backup decoder did not advance at ${pos}`);
          pos = r.next;
        } catch (e) {
          if (!(e instanceof BackupParseError)) throw e;
          const next = d.resync(data, pos, data.length, true);
          if (next <= pos) return;
          pos = next;
        }
      }
    },
    expected: (e) => e instanceof BackupParseError || e instanceof NeedMore,
  },
  {
    // device blocks as the cold-start scan reads them: file header, block header, then records
    name: 'device',
    run(input) {
      // the loader only ever reads whole IO_ALIGN pages, so the input is zero-padded to one
      const data = Buffer.alloc(alignUp(Math.max(input.length, 1), IO_ALIGN));
      input.copy(data);
      decodeFileHeader(data);
      readBlockHeader(data, 0);
      for (let off = 0; off + 16 <= data.length; off += 16) checkDeviceRecord(data, off, data.length, undefined, true);
    },
    expected: (e) => e instanceof AsError,
  },
  {
    // what the tools' --tls-crl-check and --tls-cert-blacklist read: a CRL's DER (from a CA file or
    // directory) and blacklist lines (the server's cert-blacklist too)
    name: 'revocation',
    run(data) {
      parseCrlDer(data);
    },
    expected: (e) => e instanceof RevocationParseError,
  },
  {
    name: 'blacklist',
    run(data) {
      parseBlacklist(data.toString('latin1'));
    },
    expected: (e) => e instanceof RevocationParseError,
  },
];

/** Names of the targets, in order. */
export const TARGET_NAMES = TARGETS.map((t) => t.name);
