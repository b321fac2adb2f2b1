/**
 * `indexes-memory-budget` bounds the memory of a namespace's primary and secondary indexes: above
 * it the namespace is in stop-writes (client writes answer OUT_OF_SPACE, deletes and reads go on),
 * as Aerospike 8.1 does, and dropping an index clears it. Through the official client against a
 * real strato process; the node clock is moved by test hooks, no sleeps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Aerospike from 'aerospike';
import { startStrato } from '../helpers/strato-process.js';
import { connectClient } from '../helpers/client.js';
import { resultCode } from '../helpers/result-code.js';

function stat(line: string, name: string): number | string {
  const m = new RegExp(`(?:^|;)${name}=([^;]*)`).exec(line.trim());
  assert.ok(m, `${name} in ${line.slice(0, 200)}`);
  return /^\d+$/.test(m[1]!) ? Number(m[1]) : m[1]!;
}

test('secondary index memory above indexes-memory-budget stops client writes with OUT_OF_SPACE until the index is dropped', async () => {
  const server = await startStrato({ env: { STRATO_TEST_HOOKS: '1' } });
  const client = await connectClient({ hosts: [{ addr: '127.0.0.1', port: server.port }], log: { level: -1 } as any });
  const host = { addr: '127.0.0.1', port: server.port };
  const info = async (cmd: string): Promise<string> => {
    const r = String(await client.info(cmd, host));
    const tab = r.indexOf('\t');
    return (tab >= 0 ? r.slice(tab + 1) : r).trim();
  };
  try {
    for (let i = 0; i < 500; i++) await client.put(new Aerospike.Key('test', 'mb', i), { n: i });
    await (await client.createIntegerIndex({ ns: 'test', set: 'mb', bin: 'n', index: 'mb_n' })).wait(10);
    const before = await info('namespace/test');
    const primary = stat(before, 'index_used_bytes') as number;
    const sindex = stat(before, 'sindex_used_bytes') as number;
    assert.equal(primary, 500 * 64);
    assert.ok(sindex > 1024, `sindex_used_bytes ${sindex}`);
    assert.equal(stat(before, 'stop_writes'), 'false');

    // the primary index alone fits, primary + secondary does not
    const budget = primary + Math.floor(sindex / 2);
    assert.equal(await info(`set-config:context=namespace;id=test;indexes-memory-budget=${budget}`), 'ok');
    assert.equal(stat(await info('get-config:context=namespace;id=test'), 'indexes-memory-budget'), budget);
    assert.equal(await resultCode(client.put(new Aerospike.Key('test', 'mb', 1000), { n: 1 })), Aerospike.status.ERR_SERVER_FULL);
    assert.equal(await resultCode(client.put(new Aerospike.Key('test', 'other', 1), { x: 1 })), Aerospike.status.ERR_SERVER_FULL);
    assert.equal(stat(await info('namespace/test'), 'stop_writes'), 'true');
    // reads, queries and deletes go on
    assert.equal((await client.get(new Aerospike.Key('test', 'mb', 7))).bins.n, 7);
    const q = client.query('test', 'mb');
    q.where(Aerospike.filter.range('n', 0, 9));
    assert.equal((await q.results()).length, 10);
    await client.remove(new Aerospike.Key('test', 'mb', 0));

    await client.indexRemove('test', 'mb_n');
    assert.equal(stat(await info('namespace/test'), 'sindex_used_bytes'), 0);
    // stop-writes is re-evaluated at most once a second of node time
    await info('strato-test-clock:advance-sec=2');
    assert.equal(await resultCode(client.put(new Aerospike.Key('test', 'mb', 1000), { n: 1 })), 0);
    assert.equal(stat(await info('namespace/test'), 'stop_writes'), 'false');
  } finally {
    await client.close(false);
    await server.stop();
  }
});
