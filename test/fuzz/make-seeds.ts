/**
 * Builds the committed seed corpora under test/fixtures/fuzz/<target>/ from the recorded Aerospike
 * 8.1.2 exchanges in test/fixtures/corpus (request frames, and the op payloads and filter
 * expressions inside them), the backup and config fixtures, and a few hand-made inputs. Run once
 * after `tsc`: `node dist/test/fuzz/make-seeds.js`; the output is committed, so tests never need it.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { FIXTURES } from '../helpers/paths.js';
import { parseMessage, OpType, FieldType } from '../../src/protocol/message.js';
import { encodeFileHeader, writeBlockHeader, writeDeviceRecord } from '../../src/storage/device/format.js';

const OUT = join(FIXTURES, 'fuzz');
/** Seeds kept per target (distinct inputs, smallest first). */
const MAX_SEEDS = 48;

const seeds = new Map<string, Map<string, Buffer>>();
function add(target: string, b: Buffer): void {
  let m = seeds.get(target);
  if (!m) seeds.set(target, (m = new Map()));
  m.set(createHash('sha1').update(b).digest('hex').slice(0, 12), b);
}

for (const file of readdirSync(join(FIXTURES, 'corpus')).filter((f) => f.endsWith('.jsonl')).sort()) {
  for (const line of readFileSync(join(FIXTURES, 'corpus', file), 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const ex = JSON.parse(line) as { request: string };
    const frame = Buffer.from(ex.request, 'hex');
    if (frame.length < 8) continue;
    const type = frame[1];
    const body = frame.subarray(8);
    if (type === 1) {
      add('info', body);
      continue;
    }
    if (type !== 3) continue;
    add('message', body);
    let msg;
    try {
      msg = parseMessage(body, 0, body.length);
    } catch {
      continue;
    }
    for (const f of msg.fields) if (f.type === FieldType.FILTER) add('expression', Buffer.concat([Buffer.from([0]), body.subarray(f.start, f.end)]));
    for (const op of msg.ops) {
      const v = op.value;
      switch (op.opType) {
        case OpType.CDT_READ:
        case OpType.CDT_MODIFY:
          add('cdt', Buffer.concat([Buffer.from([op.opType === OpType.CDT_MODIFY ? 0x81 : 0x01]), v]));
          add('msgpack', v);
          break;
        case OpType.BITS_READ:
        case OpType.BITS_MODIFY:
          add('bits', Buffer.concat([Buffer.from([op.opType === OpType.BITS_MODIFY ? 0xa1 : 0x21]), v]));
          break;
        case OpType.HLL_READ:
        case OpType.HLL_MODIFY:
          add('hll', Buffer.concat([Buffer.from([op.opType === OpType.HLL_MODIFY ? 0x80 : 0x00]), v]));
          break;
        case OpType.EXP_READ:
        case OpType.EXP_MODIFY:
          add('expression', Buffer.concat([Buffer.from([op.opType === OpType.EXP_READ ? 1 : 2]), v]));
          break;
        case OpType.WRITE:
          if (op.particleType === 19 || op.particleType === 20) add('msgpack', v);
          break;
      }
    }
  }
}

for (const [flags, pattern, subject] of [
  [1, '(a+)+$', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!'],
  [0, 'a\\(b*\\)c\\1', 'abbcbb'],
  [3, '^[[:alpha:]]+[0-9]{2,4}$', 'Hello123'],
  [5, 'x.y|z$', 'ab\nzz'],
  [1, '[^]a-c]*(foo|bar){1,3}', 'q]foobar'],
  [9, '([a-z]+)@([a-z]+)\\.com', 'me@example.com'],
] as [number, string, string][]) {
  add('regex', Buffer.concat([Buffer.from([flags]), Buffer.from(pattern), Buffer.from([0]), Buffer.from(subject)]));
}

for (const f of readdirSync(join(FIXTURES, 'backup')).sort()) add('backup', readFileSync(join(FIXTURES, 'backup', f)).subarray(0, 16 * 1024));
for (const f of readdirSync(join(FIXTURES, 'aerospike-8.1.2', 'etc')).filter((n) => n.endsWith('.conf')).sort()) {
  add('config', readFileSync(join(FIXTURES, 'aerospike-8.1.2', 'etc', f)));
}
add('config', Buffer.from('service {\n  proto-fd-max 100\n}\nnetwork {\n  service {\n    port 3000\n  }\n}\nnamespace test {\n  replication-factor 1\n  storage-engine memory\n}\n'));

{
  // a device image: file header page, then one write block holding two records
  const fh = encodeFileHeader({ version: 1, writeBlockSize: 1024, fileIndex: 0, fileCount: 1, epoch: 1, sizeBytes: 1 << 20 });
  add('device', fh.subarray(0, 256));
  const blk = Buffer.alloc(1024);
  writeBlockHeader(blk, { epoch: 1, seq: 1, stamp: 7, file: 0, block: 1 });
  let off = 32;
  const digest = Buffer.alloc(20, 0xab);
  off += writeDeviceRecord(blk, off, 7, digest, 0, { generation: 1, flags: 0, voidTime: 0, lastUpdateMs: 1 }, Buffer.from('set1'), Buffer.from([0, 1, 0, 1, 0x61, 1, 1, 0, 0, 0, 7]));
  writeDeviceRecord(blk, off, 7, digest, 0, { generation: 2, flags: 1, voidTime: 5, lastUpdateMs: 2 }, undefined, undefined);
  add('device', blk.subarray(0, off + 64));
}

for (const [target, m] of seeds) {
  const dir = join(OUT, target);
  mkdirSync(dir, { recursive: true });
  const kept = [...m.entries()].sort((a, b) => a[1].length - b[1].length || (a[0] < b[0] ? -1 : 1));
  // keep small ones plus an even spread of the larger ones
  const step = Math.max(1, Math.floor(kept.length / MAX_SEEDS));
  const chosen = kept.filter((_, i) => i % step === 0).slice(0, MAX_SEEDS);
  for (const [h, b] of chosen) writeFileSync(join(dir, `seed-${h}.bin`), b);
  console.log(`${target}: ${chosen.length} seeds (${m.size} distinct found)`);
}
