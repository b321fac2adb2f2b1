/**
 * read-touch-ttl-percent through the official client (Aerospike 8.1): a read of a record whose
 * remaining life is at most the given percentage of the TTL it was written with gives it that TTL
 * again (single reads, operate reads, batch reads), without a new generation; the policy's -1 never
 * touches, 0 takes the namespace's default-read-touch-ttl-pct. Time moves through the node's test
 * clock hook, never by sleeping.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Aerospike from 'aerospike';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { resultCode } from '../helpers/result-code.js';
import { connectClient } from '../helpers/client.js';

let server: StratoProcess;
let client: any;
let node: any;
const exp = Aerospike.exp;
const key = (k: string) => new Aerospike.Key('test', 'rtouch', k);
const barKey = (k: string) => new Aerospike.Key('bar', 'rtouch', k);

const CONFIG = `
service {
  cluster-name rtouch
}
network {
  service {
    address 127.0.0.1
    port 3000
  }
}
namespace test {
  replication-factor 1
  nsup-period 120
  storage-engine memory {
    data-size 64M
  }
}
namespace bar {
  replication-factor 1
  nsup-period 120
  default-read-touch-ttl-pct 50
  storage-engine memory {
    data-size 64M
  }
}
`;

async function info(cmd: string): Promise<string> {
  const answer: string = await client.infoNode(cmd, node);
  return answer.slice(answer.indexOf('\t') + 1).trim();
}

const advance = (sec: number) => info(`strato-test-clock:advance-sec=${sec}`);

/** Remaining TTL (seconds) as an expression sees it: no read-touch policy, so it never touches. */
async function ttlOf(k: any): Promise<number> {
  const rec = await client.operate(k, [exp.operations.read('t', exp.ttl(), 0)]);
  return rec.bins.t;
}

async function nsStat(ns: string, name: string): Promise<number> {
  return Number(new RegExp(`(?:^|;)${name}=(\\d+)`).exec(await info(`namespace/${ns}`))![1]);
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

test('a read past the percentage of its TTL resets the TTL and keeps the generation', async () => {
  await client.put(key('a'), { a: 1 }, { ttl: 100 });
  const policy = new Aerospike.ReadPolicy({ readTouchTtlPercent: 80 });
  await advance(10);
  await client.get(key('a'), policy);
  assert.ok((await ttlOf(key('a'))) <= 90, 'over 80% of the TTL left: no touch');
  await advance(15);
  const touching = await client.get(key('a'), policy);
  assert.ok((await ttlOf(key('a'))) >= 99, 'the TTL is back to 100 s');
  const later = await client.get(key('a'));
  // the client derives ttl from the void time and its own clock (the node's is advanced)
  assert.ok(later.ttl - touching.ttl >= 20, 'the touching read still answered the old void time');
  assert.equal(later.gen, 1);
  assert.ok((await nsStat('test', 'read_touch_success')) >= 1);
});

test('-1 never touches, 0 takes the namespace default, records without TTL are left alone', async () => {
  await client.put(key('b'), { a: 1 }, { ttl: 100 });
  await advance(30);
  await client.get(key('b'), new Aerospike.ReadPolicy({ readTouchTtlPercent: -1 }));
  await client.get(key('b'), new Aerospike.ReadPolicy({ readTouchTtlPercent: 0 }));
  assert.ok((await ttlOf(key('b'))) <= 70, 'namespace test has no default: untouched');

  await client.put(barKey('b'), { a: 1 }, { ttl: 100 });
  await advance(55);
  await client.get(barKey('b'));
  assert.ok((await ttlOf(barKey('b'))) >= 99, 'bar touches at its default 50%');

  await client.put(key('forever'), { a: 1 }, { ttl: -1 });
  await client.get(key('forever'), new Aerospike.ReadPolicy({ readTouchTtlPercent: 100 }));
  assert.equal(await ttlOf(key('forever')), -1);
});

test('operate reads and batch reads touch too; a percentage above 100 is PARAMETER', async () => {
  await client.put(key('c'), { a: 1 }, { ttl: 100 });
  await client.put(key('d'), { a: 1 }, { ttl: 100 });
  await advance(60);
  await client.operate(key('c'), [Aerospike.operations.read('a')], {}, new Aerospike.OperatePolicy({ readTouchTtlPercent: 50 }));
  assert.ok((await ttlOf(key('c'))) >= 99);
  await client.batchRead([{ key: key('d'), readAllBins: true }], new Aerospike.BatchPolicy({ readTouchTtlPercent: 50 }));
  assert.ok((await ttlOf(key('d'))) >= 99);
  assert.equal(await resultCode(client.get(key('c'), new Aerospike.ReadPolicy({ readTouchTtlPercent: 101 }))), 4);
});
