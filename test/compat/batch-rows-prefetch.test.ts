/**
 * A batch looks its rows' records up and brings them into the cache in groups before the rows run
 * (batch-executor.ts PREFETCH_ROWS, Namespace.prefetch). That is a hint only: every row still
 * answers from its own namespace, hits and misses alike, also when a batch mixes namespaces and
 * spans several groups.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Aerospike from 'aerospike';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { connectClient } from '../helpers/client.js';
import { PREFETCH_ROWS } from '../../src/batch/batch-executor.js';

const CONFIG = `
namespace test {
  storage-engine memory {
    data-size 64M
  }
}
namespace other {
  storage-engine memory {
    data-size 64M
  }
}
`;

let server: StratoProcess;
let client: any;

before(async () => {
  server = await startStrato({ config: CONFIG });
  client = await connectClient({ hosts: [{ addr: '127.0.0.1', port: server.port }], log: { level: -1 } as any });
  // even keys in 'test', multiples of 3 in 'other' (each with its namespace in the bin)
  for (let i = 0; i < 200; i++) {
    if (i % 2 === 0) await client.put(new Aerospike.Key('test', 's', i), { ns: 'test', i });
    if (i % 3 === 0) await client.put(new Aerospike.Key('other', 's', i), { ns: 'other', i, pad: Buffer.alloc(1500, i) });
  }
});
after(async () => {
  await client?.close(false);
  await server?.stop();
});

test('a batch over several prefetch groups mixing namespaces answers every row from its own namespace', async () => {
  const n = 3 * PREFETCH_ROWS + 7;
  const keys = Array.from({ length: n }, (_, r) => new Aerospike.Key(r % 3 === 1 ? 'other' : 'test', 's', (r * 7) % 200));
  const results = await client.batchGet(keys);
  assert.equal(results.length, n);
  results.forEach((res: any, r: number) => {
    const ns = keys[r]!.ns;
    const i = (r * 7) % 200;
    const stored = ns === 'test' ? i % 2 === 0 : i % 3 === 0;
    assert.equal(res.status, stored ? Aerospike.status.OK : Aerospike.status.ERR_RECORD_NOT_FOUND, `row ${r}`);
    if (stored) {
      assert.equal(res.record.bins.ns, ns, `row ${r}`);
      assert.equal(res.record.bins.i, i, `row ${r}`);
      if (ns === 'other') assert.deepEqual(res.record.bins.pad, Buffer.alloc(1500, i));
    }
  });
});
