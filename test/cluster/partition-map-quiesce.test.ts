/**
 * Quiesce in the partition balance (Aerospike EE's `quiesce`, which Strato offers): a quiesced
 * node holds no copy the other nodes can hold, is never a master while another node is not
 * quiesced, and is ignored when every node is quiesced; the exchange message carries the flag.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { columnCounts, computePartitionMap, type PlacementGroup } from '../../src/cluster/partition-map.js';
import { decodeExchange, encodeExchange } from '../../src/cluster/runtime/fabric-messages.js';
import type { NodeId } from '../../src/cluster/node-id.js';

const A = 0xa1n as NodeId;
const B = 0xb2n as NodeId;
const C = 0xc3n as NodeId;
const groups = (quiet: NodeId[], nodes: NodeId[]) => new Map<NodeId, PlacementGroup>(nodes.map((n) => [n, { rack: 0, host: n, quiesced: quiet.includes(n) }]));

test('with three nodes and RF 2 a quiesced node holds neither masters nor replicas; the others share both columns evenly', () => {
  const map = computePartitionMap([A, B, C], 4096, 2, groups([C], [A, B, C]));
  for (const col of [0, 1]) {
    const counts = columnCounts(map, col);
    assert.equal(counts.get(C) ?? 0, 0);
    assert.equal(counts.get(A), 2048);
    assert.equal(counts.get(B), 2048);
  }
  assert.equal(map.replicationFactor, 2);
});

test('with two nodes and RF 2 the quiesced node keeps only the replica column', () => {
  const map = computePartitionMap([A, B], 4096, 2, groups([A], [A, B]));
  assert.equal(columnCounts(map, 0).get(B), 4096);
  assert.equal(columnCounts(map, 1).get(A), 4096);
});

test('when every node is quiesced the flag is ignored', () => {
  const plain = computePartitionMap([A, B, C], 4096, 2);
  const all = computePartitionMap([A, B, C], 4096, 2, groups([A, B, C], [A, B, C]));
  assert.deepEqual(all.replicas.map((c) => [...c]), plain.replicas.map((c) => [...c]));
});

test('the exchange message carries the quiesced flag next to the retransmit flag', () => {
  const msg = { key: 7n, from: A, retransmit: true, host: A, rows: new Map(), racks: new Map(), quiesced: true };
  const back = decodeExchange(encodeExchange(msg));
  assert.equal(back.quiesced, true);
  assert.equal(back.retransmit, true);
  assert.equal(decodeExchange(encodeExchange({ ...msg, quiesced: false, retransmit: false })).quiesced, false);
});
