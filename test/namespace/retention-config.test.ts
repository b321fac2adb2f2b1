/**
 * Namespace data retention rules that depend on configuration: TTL writes with nsup off,
 * eviction order, stop-writes, set caps, dynamic changes and truncation surviving a restart.
 * Time and nsup cycles are driven through the node's test hooks, never by sleeping.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Aerospike from 'aerospike';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { resultCode } from '../helpers/result-code.js';
import { connectClient } from '../helpers/client.js';

const CONFIG = `
service {
  cluster-name retention
}
network {
  service {
    address 127.0.0.1
    port 3000
  }
}
namespace nonsup {
  nsup-period 0
  storage-engine memory {
    data-size 64M
  }
}
namespace allowttl {
  nsup-period 0
  allow-ttl-without-nsup true
  storage-engine memory {
    data-size 64M
  }
}
namespace legacy {
  nsup-period 1000
  evict-tenths-pct 100
  high-water-memory-pct 50
  storage-engine memory {
    data-size 1M
  }
}
namespace small {
  nsup-period 1000
  evict-tenths-pct 100
  storage-engine memory {
    data-size 1M
    evict-used-pct 50
    stop-writes-used-pct 90
  }
  set protected {
    disable-eviction true
  }
  set capped {
    stop-writes-count 5
  }
  set sized {
    stop-writes-size 4K
  }
}
`;

let server: StratoProcess;
let client: any;
let node: any;

async function info(cmd: string): Promise<string> {
  const answer: string = await client.infoNode(cmd, node);
  return answer.slice(answer.indexOf('\t') + 1).trim();
}

async function nsStat(ns: string, name: string): Promise<string> {
  const m = new RegExp(`(?:^|;)${name}=([^;]*)`).exec(await info(`namespace/${ns}`));
  return m![1]!;
}

/** Runs an nsup cycle on the node and waits until it has finished (its duration stat moves on). */
async function runNsup(ns: string): Promise<void> {
  const before = await nsStat(ns, 'evicted_objects');
  await info(`strato-test-nsup:namespace=${ns}`);
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 20));
    if ((await nsStat(ns, 'evicted_objects')) !== before) return;
  }
}

before(async () => {
  server = await startStrato({ config: CONFIG, env: { STRATO_TEST_HOOKS: '1' } });
  client = await connectClient({ hosts: [{ addr: '127.0.0.1', port: server.port }], log: { level: -1 } as any });
  node = client.getNodes()[0];
});
after(async () => {
  await client?.close(false);
  await server?.stop();
});

test('a TTL write is refused with FORBIDDEN when nsup is off', async () => {
  const k = new Aerospike.Key('nonsup', 's', 1);
  assert.equal(await resultCode(client.put(k, { a: 1 }, { ttl: 100 })), Aerospike.status.ERR_FAIL_FORBIDDEN);
  assert.equal(await resultCode(client.put(k, { a: 1 }, { ttl: -1 })), 0);
  assert.equal(await resultCode(client.put(k, { a: 1 })), 0);
});

test('allow-ttl-without-nsup lets TTL writes through with nsup off', async () => {
  assert.equal(await resultCode(client.put(new Aerospike.Key('allowttl', 's', 1), { a: 1 }, { ttl: 100 })), 0);
});

test('setting nsup-period with set-config lets TTL writes through at once', async () => {
  assert.equal(await info('set-config:context=namespace;id=nonsup;nsup-period=60'), 'ok');
  assert.equal(await resultCode(client.put(new Aerospike.Key('nonsup', 's', 2), { a: 1 }, { ttl: 100 })), 0);
  assert.match(await info('get-config:context=namespace;id=nonsup'), /nsup-period=60/);
});

test('eviction removes the records nearest to expiry first, never void-time 0 or a protected set', async () => {
  const blob = Buffer.alloc(1000, 1);
  // 350 records with distinct TTLs, 100 that never expire, 100 in a protected set: ~560 KB > 50% of 1 MiB
  for (let i = 0; i < 350; i++) await client.put(new Aerospike.Key('small', 'ttl', i), { b: blob }, { ttl: 10000 + i * 10 });
  for (let i = 0; i < 100; i++) await client.put(new Aerospike.Key('small', 'forever', i), { b: blob }, { ttl: -1 });
  for (let i = 0; i < 100; i++) await client.put(new Aerospike.Key('small', 'protected', i), { b: blob }, { ttl: 5000 });
  await runNsup('small');
  const evicted = Number(await nsStat('small', 'evicted_objects'));
  assert.ok(evicted > 0, 'something was evicted');
  const present: boolean[] = [];
  for (let i = 0; i < 350; i++) present.push(await client.exists(new Aerospike.Key('small', 'ttl', i)));
  const firstPresent = present.indexOf(true);
  assert.ok(firstPresent > 0, 'the shortest TTLs went first');
  assert.ok(present.slice(firstPresent).every(Boolean), 'nothing with a longer TTL went before a shorter one');
  for (let i = 0; i < 100; i++) {
    assert.equal(await client.exists(new Aerospike.Key('small', 'forever', i)), true);
    assert.equal(await client.exists(new Aerospike.Key('small', 'protected', i)), true);
  }
});

test('stop-writes refuses client writes with OUT_OF_SPACE, allows deletes, and clears when space returns', async () => {
  assert.equal(await info('set-config:context=namespace;id=small;stop-writes-used-pct=40'), 'ok');
  const k = new Aerospike.Key('small', 'sw', 1);
  assert.equal(await resultCode(client.put(k, { a: 1 })), Aerospike.status.ERR_SERVER_FULL);
  assert.equal(await nsStat('small', 'stop_writes'), 'true');
  await client.remove(new Aerospike.Key('small', 'forever', 0));
  assert.equal(await info('set-config:context=namespace;id=small;stop-writes-used-pct=90'), 'ok');
  assert.equal(await resultCode(client.put(k, { a: 1 })), 0);
  assert.equal(await nsStat('small', 'stop_writes'), 'false');
});

test('a set at stop-writes-count refuses new records with FORBIDDEN until the cap is raised', async () => {
  for (let i = 0; i < 5; i++) await client.put(new Aerospike.Key('small', 'capped', i), { a: i });
  assert.equal(await resultCode(client.put(new Aerospike.Key('small', 'capped', 99), { a: 1 })), Aerospike.status.ERR_FAIL_FORBIDDEN);
  // records already in the set can still be updated
  assert.equal(await resultCode(client.put(new Aerospike.Key('small', 'capped', 0), { a: 100 })), 0);
  assert.equal(await info('set-config:context=namespace;id=small;set=capped;stop-writes-count=10'), 'ok');
  assert.equal(await resultCode(client.put(new Aerospike.Key('small', 'capped', 99), { a: 1 })), 0);
  assert.match(await info('sets/small/capped'), /objects=6:.*stop-writes-count=10/);
});

test('a set at stop-writes-size refuses writes with FORBIDDEN', async () => {
  let code = 0;
  for (let i = 0; i < 20 && code === 0; i++) code = await resultCode(client.put(new Aerospike.Key('small', 'sized', i), { b: Buffer.alloc(500) }));
  assert.equal(code, Aerospike.status.ERR_FAIL_FORBIDDEN);
});

test('a truncation is kept across a restart', async () => {
  const work = mkdtempSync(join(tmpdir(), 'strato-smd-'));
  const conf = `service {\n  cluster-name t\n  work-directory ${work}\n}\nnetwork {\n  service {\n    address 127.0.0.1\n    port 3000\n  }\n}\nnamespace test {\n  nsup-period 60\n  storage-engine memory {\n    data-size 64M\n  }\n}\n`;
  try {
    const first = await startStrato({ config: conf });
    const c1 = await connectClient({ hosts: [{ addr: '127.0.0.1', port: first.port }], log: { level: -1 } as any });
    await c1.put(new Aerospike.Key('test', 'gone', 1), { a: 1 });
    await c1.truncate('test', 'gone', 0);
    const n1 = c1.getNodes()[0];
    const lut = /truncate_lut=(\d+)/.exec(await c1.infoNode('sets/test/gone', n1))![1];
    assert.notEqual(lut, '0');
    await c1.close(false);
    await first.stop();
    const second = await startStrato({ config: conf });
    const c2 = await connectClient({ hosts: [{ addr: '127.0.0.1', port: second.port }], log: { level: -1 } as any });
    const after = /truncate_lut=(\d+)/.exec(await c2.infoNode('sets/test/gone', c2.getNodes()[0]))![1];
    assert.equal(after, lut);
    await c2.close(false);
    await second.stop();
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('the pre-7 high-water-memory-pct mark still drives eviction', async () => {
  const blob = Buffer.alloc(1000, 1);
  for (let i = 0; i < 600; i++) await client.put(new Aerospike.Key('legacy', 'x', i), { b: blob }, { ttl: 10000 + i });
  await runNsup('legacy');
  assert.ok(Number(await nsStat('legacy', 'evicted_objects')) > 0);
  assert.equal(await client.exists(new Aerospike.Key('legacy', 'x', 0)), false);
  assert.equal(await client.exists(new Aerospike.Key('legacy', 'x', 599)), true);
});
