/**
 * asrestore names what is wrong with its input plainly: a missing file, a directory given as a
 * file, a missing directory, and a file that is not a backup (or was read with the wrong codec or
 * key) — each an exit code 1 and one message, never a stack trace.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { ROOT } from '../helpers/paths.js';

const ASRESTORE = join(ROOT, 'bin', 'asrestore.js');
let server: StratoProcess;
let dir: string;

function asrestore(...args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [ASRESTORE, ...args], { timeout: 20_000 }, (e, out, err) => {
      resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out: out + err });
    });
  });
}

before(async () => {
  server = await startStrato();
  dir = mkdtempSync(join(tmpdir(), 'asrestore-msg-'));
});

after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a missing backup file is named as missing', async () => {
  const r = await asrestore('-p', String(server.port), '-n', 'test', '-i', join(dir, 'nope.asb'));
  assert.equal(r.code, 1);
  assert.match(r.out, /Backup file .*nope\.asb does not exist/);
  assert.doesNotMatch(r.out, /\n\s+at /);
});

test('a directory given with -i points at -d; a missing -d directory is named', async () => {
  const r = await asrestore('-p', String(server.port), '-n', 'test', '-i', dir);
  assert.equal(r.code, 1);
  assert.match(r.out, /is a directory \(use -d/);
  const d = await asrestore('-p', String(server.port), '-n', 'test', '-d', join(dir, 'none'));
  assert.equal(d.code, 1);
  assert.match(d.out, /Error while opening directory .*none: it does not exist/);
});

test('a file that is not a backup says so and what to check (codec, key)', async () => {
  const file = join(dir, 'garbage.asb');
  writeFileSync(file, Buffer.from([0x8f, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d]));
  const r = await asrestore('-p', String(server.port), '-n', 'test', '-i', file);
  assert.equal(r.code, 1);
  assert.match(r.out, /Error while parsing backup file .*garbage\.asb:1/);
  assert.match(r.out, /not an asbackup file, or it was written with --compress\/--encrypt/);
});
