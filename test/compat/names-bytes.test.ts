/**
 * Bin names, set names and keys are stored and returned byte for byte, with Aerospike's limits
 * applied to the bytes, or refused with Aerospike's code — never rewritten (issue 16.3). Raw frames
 * send bytes the official client cannot; the client and asbackup/asrestore check the round trip.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Aerospike from 'aerospike';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { requestFrame } from '../helpers/raw-client.js';
import { ROOT } from '../helpers/paths.js';
import { encodeMessage, keyFields } from '../../src/client/message-encoder.js';
import { computeDigest } from '../../src/util/digest.js';
import { connectClient } from '../helpers/client.js';

const BIN_NAME = 21;
const PARAMETER = 4;
const NOT_FOUND = 2;

let server: StratoProcess;
let client: any;
let work: string;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'names-bytes-'));
  server = await startStrato();
  client = await connectClient({ hosts: [{ addr: '127.0.0.1', port: server.port }], log: { level: -1 } as any });
});
after(async () => {
  await client?.close(false);
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const digestOf = (set: string, key: string) => computeDigest(set, 3, Buffer.from(key));

/** A put frame whose bin name (written as 'NAME' placeholder of the same length) is `name` bytes. */
function rawPut(set: Buffer, key: string, name: Buffer): Buffer {
  const fields = keyFields('test', 'x', digestOf(set.toString('latin1'), key));
  fields[1] = { type: fields[1]!.type, data: set };
  const value = Buffer.alloc(8);
  value.writeBigInt64BE(7n);
  const frame = encodeMessage({ info2: 0x01 }, fields, [{ op: 2, type: 1, name: 'n'.repeat(name.length), value }]);
  // the op's name starts after the proto header (8), msg header (22), fields and the op header (8)
  const at = frame.lastIndexOf(Buffer.from('n'.repeat(name.length)));
  name.copy(frame, at);
  return frame;
}

async function resultOf(frame: Buffer): Promise<number> {
  const answer = await requestFrame('127.0.0.1', server.port, frame, 5000);
  return answer[8 + 5]!;
}

test('a bin name that is not UTF-8 (ff fe) is refused with BIN_NAME instead of being stored as two U+FFFD', async () => {
  assert.equal(await resultOf(rawPut(Buffer.from('names'), 'k1', Buffer.from([0xff, 0xfe]))), BIN_NAME);
  const digest = digestOf('names', 'k1');
  const get = await requestFrame('127.0.0.1', server.port, encodeMessage({ info1: 0x03 }, keyFields('test', 'names', digest), []), 5000);
  assert.equal(get[13], NOT_FOUND, 'nothing was written');
});

test('a truncated UTF-8 sequence that decodes to one U+FFFD of the same length is refused too', async () => {
  assert.equal(await resultOf(rawPut(Buffer.from('names'), 'k2', Buffer.from([0x61, 0xf0, 0x9f, 0x98]))), BIN_NAME);
});

test('a set name that is not UTF-8 is refused with PARAMETER', async () => {
  assert.equal(await resultOf(rawPut(Buffer.from([0x73, 0xff]), 'k3', Buffer.from('ok'))), PARAMETER);
});

test('UTF-8 bin names are limited by their bytes: 15 bytes are stored and returned byte for byte, 16 are refused', async () => {
  const fifteen = '€€€€€'; // 5 × 3 bytes
  assert.equal(Buffer.byteLength(fifteen), 15);
  await client.put(new Aerospike.Key('test', 'names', 'euro'), { [fifteen]: 1, 'é': 'two bytes' });
  const rec = await client.get(new Aerospike.Key('test', 'names', 'euro'));
  assert.deepEqual(Object.keys(rec.bins).sort(), [fifteen, 'é'].sort());
  // the answer frame carries the exact bytes
  const answer = await requestFrame('127.0.0.1', server.port, encodeMessage({ info1: 0x03 }, keyFields('test', 'names', digestOf('names', 'euro')), []), 5000);
  assert.ok(answer.includes(Buffer.from(fifteen)), 'e2 82 ac × 5 in the answer');
  assert.equal(await resultOf(rawPut(Buffer.from('names'), 'k4', Buffer.from('é'.repeat(8)))), BIN_NAME, '16 bytes');
});

test('asbackup / asrestore round-trip UTF-8 bin names, set names and string keys byte for byte', async () => {
  const key = new Aerospike.Key('test', 'ñandú', 'clé ✓');
  await client.put(key, { '✓ok': 'v', 'ü': 1 }, {}, new Aerospike.WritePolicy({ key: Aerospike.policy.key.SEND }));
  const file = join(work, 'names.asb');
  const run = (tool: string, args: string[]) =>
    new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(process.execPath, [join(ROOT, 'bin', tool), '-h', '127.0.0.1', '-p', String(server.port), ...args], (err, _out, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
      ),
    );
  const b = await run('asbackup.js', ['-n', 'test', '-s', 'ñandú', '-o', file]);
  assert.equal(b.code, 0, b.stderr);
  await client.remove(key);
  const r = await run('asrestore.js', ['-i', file]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /err_ignored 0 : inserted 1/);
  const rec = await client.get(key);
  assert.deepEqual(rec.bins, { '✓ok': 'v', 'ü': 1 });
  assert.equal(rec.key.key, 'clé ✓');
});

test('asrestore stopped by a record the server refuses does not count it as err_ignored without --ignore-record-error', async () => {
  // a 16-byte bin name in a backup file: the server answers BIN_NAME (21)
  const file = join(work, 'long-name.asb');
  const digest = digestOf('long', 'x').toString('base64');
  writeFileSync(
    file,
    ['Version 3.1', '# namespace test', '# first-file', '+ n test', `+ d ${digest}`, '+ s long', '+ g 1', '+ t 0', '+ b 1', '- I abcdefghijklmnop 1', ''].join('\n'),
  );
  const run = (args: string[]) =>
    new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(process.execPath, [join(ROOT, 'bin', 'asrestore.js'), '-h', '127.0.0.1', '-p', String(server.port), '-i', file, ...args], (err, _out, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
      ),
    );
  const a = await run([]);
  assert.notEqual(a.code, 0);
  assert.match(a.stderr, /code 21/);
  assert.doesNotMatch(a.stderr, /err_ignored [1-9]/);
  const b = await run(['--ignore-record-error']);
  assert.equal(b.code, 0, b.stderr);
  assert.match(b.stderr, /err_ignored 1 /);
});
