/**
 * Requests at Aerospike's limits through the official client against a real strato process: they
 * are answered correctly and do not stall the node (issue 16.2), which the node reports as its
 * event-loop delay statistics.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Aerospike from 'aerospike';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { infoFrame, requestFrame } from '../helpers/raw-client.js';
import { connectClient } from '../helpers/client.js';

let server: StratoProcess;
let client: any;
const key = (k: string) => new Aerospike.Key('test', 'limits', k);
const slow = { totalTimeout: 120_000, socketTimeout: 120_000 };

/** One info command's answer, parsed as `k=v;k=v`. */
async function info(command: string): Promise<Map<string, string>> {
  const answer = await requestFrame('127.0.0.1', server.port, infoFrame([command]), 10_000);
  const text = answer.subarray(8).toString().split('\t')[1]!.trim();
  return new Map(text.split(';').map((kv) => kv.split('=') as [string, string]));
}

before(async () => {
  server = await startStrato();
  client = await connectClient({ hosts: [{ addr: '127.0.0.1', port: server.port }], log: { level: -1 } as any });
});
after(async () => {
  await client?.close(false);
  await server?.stop();
});

test('statistics report the event-loop delay (max, p99, mean) in milliseconds', async () => {
  const stats = await info('statistics');
  for (const name of ['event_loop_delay_max_ms', 'event_loop_delay_p99_ms', 'event_loop_delay_mean_ms']) {
    assert.ok(stats.has(name), name);
    assert.ok(Number(stats.get(name)) >= 0, `${name}=${stats.get(name)}`);
  }
});

test('a put of 32,767 bins is stored whole without stalling the node for seconds (it was quadratic)', async () => {
  const bins: Record<string, number> = {};
  for (let i = 0; i < 32_767; i++) bins[`b${i}`] = i;
  await client.put(key('wide'), bins, {}, new Aerospike.WritePolicy(slow));
  // a second put over the stored record exercises the working copy of 32,767 existing bins
  await client.put(key('wide'), { b0: -1, b32766: -2 }, {}, new Aerospike.WritePolicy(slow));
  const rec = await client.get(key('wide'), new Aerospike.ReadPolicy(slow));
  assert.equal(Object.keys(rec.bins).length, 32_767);
  assert.equal(rec.bins.b0, -1);
  assert.equal(rec.bins.b32766, -2);
  assert.equal(rec.bins.b16000, 16000);
  // a generous bound that cannot flake on a loaded machine: the quadratic put took 2.7-14 s
  const maxMs = Number((await info('statistics')).get('event_loop_delay_max_ms'));
  assert.ok(maxMs < 2000, `event_loop_delay_max_ms=${maxMs}`);
});
