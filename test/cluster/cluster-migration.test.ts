/**
 * Migration planning as pure functions: what moves after a node leaves, a split brain heals or a
 * node restarts; in which order (merges, then fills, then the master handoff); when a partition
 * is ready; and how duplicates are resolved by the conflict-resolution policy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computePartitionMap, mapDelta, masterOf, replicasOf, type PartitionMap } from '../../src/cluster/partition-map.js';
import {
  allMigrations,
  applyDrops,
  applyMigration,
  applyRebalance,
  isPartitionSettled,
  migrationsOf,
  PartitionProgress,
  planMigrations,
  versionsFromSettledMap,
  type MigrationPlan,
} from '../../src/cluster/migration-plan.js';
import { formatVersion, fullVersion, PartitionVersionTable, subsetVersion } from '../../src/cluster/partition-version.js';
import { compareForConflict, generationLessThan, pickWinner, resolveConflict } from '../../src/cluster/conflict-resolution.js';

const A = 0xa000n;
const B = 0xb000n;
const C = 0xc000n;
const D = 0xd000n;
const P = 512; // partitions: enough for every case, quick to run

/** Runs a plan to the end (migrations in order, drops once ready); returns how many ran. */
function drive(table: PartitionVersionTable, plan: MigrationPlan): number {
  applyRebalance(table, plan);
  let ran = 0;
  for (const pp of plan.partitions) {
    const pr = new PartitionProgress(pp);
    for (let batch = pr.runnable(); batch.length > 0; batch = pr.runnable()) {
      for (const m of batch) {
        applyMigration(table, plan, pr, m);
        ran++;
      }
    }
    applyDrops(table, pr);
  }
  return ran;
}

function assertSettled(table: PartitionVersionTable, plan: MigrationPlan): void {
  const map = plan.map;
  for (let pid = 0; pid < map.nPartitions; pid++) {
    const row = replicasOf(map, pid);
    assert.ok(isPartitionSettled(table, plan.clusterKey, row, map.succession, pid), `pid ${pid}: ${row.map((n) => formatVersion(table.get(n, pid)))}`);
    for (const m of map.succession) if (!row.includes(m)) assert.equal(table.get(m, pid).ckey, 0n, `pid ${pid}: a copy stays outside the row`);
  }
}

function split(map: PartitionMap, members: bigint[], key: bigint, table: PartitionVersionTable): MigrationPlan {
  const plan = planMigrations({ clusterKey: key, map: computePartitionMap(members, map.nPartitions, map.replicationFactor), versions: table });
  drive(table, plan);
  return plan;
}

test('a brand-new cluster starts every partition fresh on its replicas, with nothing to migrate', () => {
  const map = computePartitionMap([A, B, C], P, 2);
  const table = new PartitionVersionTable(P);
  const plan = planMigrations({ clusterKey: 0x11n, map, versions: table });
  assert.equal(plan.counts.fresh, P);
  assert.equal(plan.counts.readyAtStart, P);
  assert.equal(allMigrations(plan).length, 0);
  applyRebalance(table, plan);
  assertSettled(table, plan);
});

test('when a node leaves, the survivors fill exactly the replica copies the map adds and nothing else', () => {
  const before = computePartitionMap([A, B, C, D], P, 2);
  const after = computePartitionMap([A, B, C], P, 2);
  const plan = planMigrations({ clusterKey: 0x22n, map: after, oldMap: before, oldClusterKey: 0x11n });
  assert.equal(plan.counts.merges, 0);
  assert.equal(plan.counts.fresh, 0, 'RF 2 keeps a copy of every partition when one node leaves');
  assert.equal(plan.counts.fills, mapDelta(before, after).replicasAdded);
  for (const pp of plan.partitions) {
    const oldRow = replicasOf(before, pp.pid);
    if (oldRow.every((n, i) => pp.replicas[i] === n)) assert.deepEqual(migrationsOf(pp), [], `pid ${pp.pid} kept its row and needs nothing`);
    else if (!oldRow.includes(D) && oldRow.every((n) => pp.replicas.includes(n))) {
      // same nodes, master and prole swapped by the rebalance: a handoff, no data
      assert.deepEqual(
        migrationsOf(pp).map((m) => m.kind),
        ['handoff'],
      );
    }
    if (masterOf(before, pp.pid) === D) assert.equal(pp.workingMaster, oldRow[1], 'the old prole serves until the handoff');
  }
  const table = versionsFromSettledMap(before, 0x11n);
  table.wipeNode(D);
  drive(table, plan);
  assertSettled(table, plan);
});

test('planning from the old map equals planning from the versions it implies', () => {
  const before = computePartitionMap([A, B, C, D], P, 2);
  const after = computePartitionMap([A, B, C], P, 2);
  const fromMap = planMigrations({ clusterKey: 0x22n, map: after, oldMap: before, oldClusterKey: 0x11n });
  const fromVersions = planMigrations({ clusterKey: 0x22n, map: after, versions: versionsFromSettledMap(before, 0x11n) });
  assert.deepEqual(fromMap.partitions, fromVersions.partitions);
});

test('a partition moves in order: fills to the new replicas first, then the master handoff', () => {
  const before = computePartitionMap([A, B], P, 2);
  const after = computePartitionMap([A, B, C, D], P, 2);
  const plan = planMigrations({ clusterKey: 0x22n, map: after, oldMap: before, oldClusterKey: 0x11n });
  const pp = plan.partitions.find((p) => p.handoff && p.fills.length === 2)!;
  assert.ok(pp, 'some partition moves both replicas to the new nodes');
  const table = versionsFromSettledMap(before, 0x11n);
  applyRebalance(table, plan);
  const pr = new PartitionProgress(pp);
  assert.deepEqual(
    pr.runnable().map((m) => m.kind),
    ['fill', 'fill'],
  );
  const handoff = migrationsOf(pp).at(-1)!;
  assert.equal(handoff.kind, 'handoff');
  assert.throws(() => pr.complete(handoff), /not runnable/);
  for (const m of pr.runnable()) applyMigration(table, plan, pr, m);
  assert.equal(pr.ready, false);
  // the old master still serves: it is the only master-flagged copy until the handoff
  assert.equal(table.get(pp.workingMaster, pp.pid).master, true);
  assert.equal(table.get(pp.replicas[0]!, pp.pid).master, false);
  applyMigration(table, plan, pr, pr.runnable()[0]!);
  assert.equal(pr.ready, true);
  // the old master left the row: it let go of its copy with the handoff, the other old replica drops now
  assert.equal(table.get(pp.workingMaster, pp.pid).ckey, 0n);
  assert.deepEqual(
    applyDrops(table, pr),
    [A, B].filter((n) => !pp.replicas.includes(n) && n !== pp.workingMaster),
  );
  assert.ok(isPartitionSettled(table, 0x22n, pp.replicas, after.succession, pp.pid));
});

test('after a split brain heals, both sides\' copies are merged into the working master before any fill', () => {
  const whole = computePartitionMap([A, B, C, D], P, 2);
  const table = versionsFromSettledMap(whole, 0x11n);
  // each side promotes what it has and runs its own migrations (writes diverge)
  split(whole, [A, B], 0x21n, table);
  split(whole, [C, D], 0x22n, table);
  const plan = planMigrations({ clusterKey: 0x33n, map: whole, versions: table });
  for (const pp of plan.partitions) {
    assert.equal(pp.duplicates.length, 1, `pid ${pp.pid}: one copy per lineage besides the working master's`);
    assert.equal(new Set(pp.duplicates.map((d) => table.get(d, pp.pid).ckey)).size, 1);
    assert.notEqual(table.get(pp.duplicates[0]!, pp.pid).ckey, table.get(pp.workingMaster, pp.pid).ckey);
    const kinds = migrationsOf(pp).map((m) => m.kind);
    assert.equal(kinds[0], 'merge');
    assert.ok(kinds.lastIndexOf('merge') < kinds.indexOf('fill'));
  }
  drive(table, plan);
  assertSettled(table, plan);
});

test('a node back from disk holds subset copies: a lineage nobody else has is merged, a covered one is filled over', () => {
  const map = computePartitionMap([A, B, C], P, 2);
  const table = versionsFromSettledMap(map, 0x11n);
  table.restartNode(C); // C's copies survive a restart but may have missed writes
  const same = planMigrations({ clusterKey: 0x22n, map, versions: table });
  for (const pp of same.partitions) {
    if (!pp.replicas.includes(C)) continue;
    // A or B still hold a full copy of lineage 0x11: C's subset is covered, no merge needed
    assert.deepEqual(pp.duplicates, []);
    assert.ok(pp.fills.includes(C) || pp.workingMaster === C);
  }
  // the others moved on without C (a new lineage): C's stale copy is a duplicate to merge
  const moved = versionsFromSettledMap(map, 0x11n);
  split(map, [A, B], 0x21n, moved);
  moved.restartNode(C);
  const back = planMigrations({ clusterKey: 0x33n, map, versions: moved });
  const withC = back.partitions.filter((pp) => moved.get(C, pp.pid).ckey === 0x11n);
  assert.ok(withC.length > 0);
  for (const pp of withC) assert.ok(pp.duplicates.includes(C) || pp.workingMaster === C, `pid ${pp.pid}`);
  drive(moved, back);
  assertSettled(moved, back);
});

test('an interrupted plan leaves versions the next plan recovers from', () => {
  const before = computePartitionMap([A, B], P, 2);
  const table = versionsFromSettledMap(before, 0x11n);
  const grow = planMigrations({ clusterKey: 0x22n, map: computePartitionMap([A, B, C, D], P, 2), versions: table });
  applyRebalance(table, grow);
  // half the partitions get their first runnable migration, then D vanishes mid-flight
  for (const pp of grow.partitions.slice(0, P / 2)) {
    const pr = new PartitionProgress(pp);
    const first = pr.runnable()[0];
    if (first !== undefined) applyMigration(table, grow, pr, first);
  }
  table.wipeNode(D);
  const shrink = planMigrations({ clusterKey: 0x33n, map: computePartitionMap([A, B, C], P, 2), versions: table });
  assert.equal(shrink.counts.fresh, 0, 'A and B kept full copies: nothing starts empty');
  drive(table, shrink);
  assertSettled(table, shrink);
});

test('a partial copy alone is still better than starting empty', () => {
  const map = computePartitionMap([A, B], 8, 2);
  const table = new PartitionVersionTable(8);
  table.set(B, 3, subsetVersion(0x11n));
  const plan = planMigrations({ clusterKey: 0x22n, map, versions: table });
  assert.equal(plan.partitions[3]!.workingMaster, B);
  assert.equal(plan.counts.fresh, 7);
  drive(table, plan);
  assertSettled(table, plan);
});

test('a master-flagged copy keeps serving in preference to a full copy elsewhere', () => {
  const map = computePartitionMap([A, B, C], 8, 2);
  const table = new PartitionVersionTable(8);
  table.set(C, 0, fullVersion(0x11n, true));
  table.set(A, 0, fullVersion(0x11n));
  table.set(B, 0, fullVersion(0x11n));
  assert.equal(planMigrations({ clusterKey: 0x22n, map, versions: table }).partitions[0]!.workingMaster, C);
});

test('conflict-resolution-policy generation: higher generation wins, compared directly, then last-update-time', () => {
  assert.equal(resolveConflict('generation', { generation: 3, lastUpdateTime: 100 }, { generation: 4, lastUpdateTime: 1 }), 'remote');
  assert.equal(resolveConflict('generation', { generation: 4, lastUpdateTime: 1 }, { generation: 3, lastUpdateTime: 100 }), 'local');
  // direct comparison: 65535 beats 2 although 2 may be "after" a wrap
  assert.equal(resolveConflict('generation', { generation: 2, lastUpdateTime: 5 }, { generation: 65535, lastUpdateTime: 5 }), 'remote');
  assert.equal(resolveConflict('generation', { generation: 7, lastUpdateTime: 5 }, { generation: 7, lastUpdateTime: 6 }), 'remote');
});

test('conflict-resolution-policy last-update-time: later wins, then generation with wrap-around', () => {
  assert.equal(resolveConflict('last-update-time', { generation: 9, lastUpdateTime: 100 }, { generation: 1, lastUpdateTime: 101 }), 'remote');
  assert.equal(resolveConflict('last-update-time', { generation: 1, lastUpdateTime: 101 }, { generation: 9, lastUpdateTime: 100 }), 'local');
  // same time: generation 2 is newer than 65535 once it wrapped
  assert.equal(resolveConflict('last-update-time', { generation: 65535, lastUpdateTime: 5 }, { generation: 2, lastUpdateTime: 5 }), 'remote');
  assert.equal(generationLessThan(65535, 2), true);
  assert.equal(generationLessThan(2, 65535), false);
});

test('a complete tie keeps the local copy; among many copies the first strict winner stays', () => {
  const same = { generation: 5, lastUpdateTime: 50 };
  assert.equal(compareForConflict('generation', same, same), 0);
  assert.equal(resolveConflict('generation', same, { ...same }), 'local');
  assert.equal(resolveConflict('last-update-time', same, { ...same }), 'local');
  const copies = [same, { generation: 6, lastUpdateTime: 1 }, { generation: 6, lastUpdateTime: 1 }, { generation: 4, lastUpdateTime: 99 }];
  assert.equal(pickWinner('generation', copies), 1);
  assert.equal(pickWinner('last-update-time', copies), 3);
});
