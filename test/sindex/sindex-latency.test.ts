/**
 * Index queries are timed in the namespace's `{ns}-si-query` latency histogram and primary-index
 * queries (scans) in `{ns}-pi-query`, each apart, as `latencies:` shows them: through the official
 * client against a real strato process whose ticker dumps the histograms every second.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Aerospike from 'aerospike';
import { startStrato } from '../helpers/strato-process.js';
import { connectClient } from '../helpers/client.js';

const CONFIG = `
service {
  cluster-name sindex-latency
  ticker-interval 1
}
namespace test {
  storage-engine memory {
    data-size 64M
  }
}
`;

/** A histogram's answer once dumped twice: unit, ops/sec, 17 percentages. */
const DUMPED = /^msec,(\d+\.\d),(\d+\.\d\d,){16}\d+\.\d\d$/;
/** Queries run while waiting for the ticker; bounds the loop in count (and so in time). */
const MAX_ROUNDS = 400;

test('index queries fill {ns}-si-query and scans fill {ns}-pi-query, each only its own', async () => {
  const server = await startStrato({ config: CONFIG });
  const client = await connectClient({ hosts: [{ addr: '127.0.0.1', port: server.port }], log: { level: -1 } as any });
  const host = { addr: '127.0.0.1', port: server.port };
  const hist = async (name: string): Promise<string> => {
    const r = String(await client.info(`latencies:hist={test}-${name}`, host)).trim();
    const body = r.slice(r.indexOf('\t') + 1);
    assert.ok(body.startsWith(`{test}-${name}:`), body);
    return body.slice(`{test}-${name}:`.length);
  };
  /** Runs `op` until the histogram answers a slice with operations in it. */
  const fill = async (name: string, op: () => Promise<unknown>): Promise<string> => {
    for (let i = 0; i < MAX_ROUNDS; i++) {
      await op();
      const h = await hist(name);
      const m = DUMPED.exec(h);
      if (m && Number(m[1]) > 0) return h;
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.fail(`{test}-${name} never answered data: ${await hist(name)}`);
  };
  try {
    for (let i = 0; i < 50; i++) await client.put(new Aerospike.Key('test', 'lat', i), { n: i });
    await (await client.createIntegerIndex({ ns: 'test', set: 'lat', bin: 'n', index: 'lat_n' })).wait(10);
    assert.equal(await hist('si-query'), '');
    assert.equal(await hist('pi-query'), '');

    const indexQuery = async () => {
      const q = client.query('test', 'lat');
      q.where(Aerospike.filter.range('n', 10, 19));
      assert.equal((await q.results()).length, 10);
    };
    assert.match(await fill('si-query', indexQuery), DUMPED);
    // index queries never counted as primary-index queries
    assert.equal(await hist('pi-query'), '');

    const scan = async () => {
      assert.equal((await client.query('test', 'lat').results()).length, 50);
    };
    assert.match(await fill('pi-query', scan), DUMPED);
  } finally {
    await client.close(false);
    await server.stop();
  }
});
