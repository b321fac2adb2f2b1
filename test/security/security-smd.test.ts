/**
 * Users and roles as system metadata (issue 17): each name carries the stamp of its last change,
 * a dropped name leaves a tombstone, and merging what another member holds keeps the later change
 * of every name, so a member that was away can neither undo a drop nor roll back a password.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecurityStore, TOMBSTONES_MAX, type SecItem } from '../../src/security/store.js';
import { SmdStore } from '../../src/namespace/smd.js';

/** A store on a clock the test drives. */
function node(id: string, clock: { ms: number }, smd?: SmdStore): SecurityStore {
  return new SecurityStore({ smd, adminCredential: 'admin-hash', nodeId: id, nowMs: () => clock.ms });
}

const user = (name: string, credential = 'c', roles: string[] = []) => ({ name, credential, roles });

test('a user dropped on one node stays dropped when a node that still holds it merges', () => {
  const clock = { ms: 1000 };
  const a = node('A', clock);
  const c = node('C', clock);
  a.putUser(user('ann'));
  c.merge(a.items());
  assert.ok(c.users.has('ann'));
  // C is away while A drops ann; then each merges the other's full state, in both orders
  clock.ms = 2000;
  a.dropUser('ann');
  assert.equal(a.merge(c.items()), 0);
  assert.equal(a.users.has('ann'), false);
  c.merge(a.items());
  assert.equal(c.users.has('ann'), false);
});

test('the later of two password changes wins on every node whatever order they merge in', () => {
  const clock = { ms: 1000 };
  const a = node('A', clock);
  const b = node('B', clock);
  a.putUser(user('ann', 'first'));
  b.merge(a.items());
  clock.ms = 2000;
  b.putUser(user('ann', 'from-b'));
  clock.ms = 3000;
  a.putUser(user('ann', 'from-a'));
  b.merge(a.items());
  a.merge(b.items());
  assert.equal(a.users.get('ann')?.credential, 'from-a');
  assert.equal(b.users.get('ann')?.credential, 'from-a');
});

test('a change stamped in the same millisecond on two nodes is ordered by node id on both', () => {
  const clock = { ms: 5000 };
  const a = node('A', clock);
  const b = node('B', clock);
  a.putUser(user('ann', 'from-a'));
  b.putUser(user('ann', 'from-b'));
  a.merge(b.items());
  b.merge(a.items());
  assert.equal(a.users.get('ann')?.credential, 'from-b');
  assert.equal(b.users.get('ann')?.credential, 'from-b');
});

test('a change made after the clock went back still replaces the one before it', () => {
  const clock = { ms: 9000 };
  const a = node('A', clock);
  a.putUser(user('ann', 'one'));
  clock.ms = 100;
  a.putUser(user('ann', 'two'));
  const b = node('B', { ms: 0 });
  b.merge(a.items());
  assert.equal(b.users.get('ann')?.credential, 'two');
});

test('a node started later does not reset the admin password the cluster changed', () => {
  const clock = { ms: 1000 };
  const a = node('A', clock);
  a.putUser({ ...a.users.get('admin')!, credential: 'changed' });
  clock.ms = 50_000;
  const fresh = node('D', clock);
  assert.equal(fresh.users.get('admin')?.credential, 'admin-hash');
  fresh.merge(a.items());
  a.merge(fresh.items());
  assert.equal(fresh.users.get('admin')?.credential, 'changed');
  assert.equal(a.users.get('admin')?.credential, 'changed');
});

test('a role dropped while a member was away stays dropped and its users lose it', () => {
  const clock = { ms: 1000 };
  const a = node('A', clock);
  const c = node('C', clock);
  a.putRole({ name: 'r', privileges: [{ code: 10, ns: 'test', set: '' }], whitelist: [], readQuota: 0, writeQuota: 0 });
  a.putUser(user('ann', 'c', ['r']));
  c.merge(a.items());
  clock.ms = 2000;
  a.change(() => {
    a.dropRole('r');
    a.putUser(user('ann', 'c', []));
  });
  c.merge(a.items());
  a.merge(c.items());
  for (const s of [a, c]) {
    assert.equal(s.roles.has('r'), false);
    assert.deepEqual(s.users.get('ann')?.roles, []);
  }
});

test('one admin command is one change: saved once and handed on as one message', () => {
  const clock = { ms: 1000 };
  const a = node('A', clock);
  const sent: SecItem[][] = [];
  a.onLocalChange = (items) => sent.push(items);
  a.change(() => {
    a.putUser(user('x'));
    a.putUser(user('y'));
  });
  assert.equal(sent.length, 1);
  assert.deepEqual(sent[0]!.map((i) => i.name), ['x', 'y']);
});

test('malformed items from a member are skipped and the rest merge', () => {
  const a = node('A', { ms: 1 });
  const applied = a.merge([
    null,
    { kind: 'user', name: 'bad', stamp: { t: 5, n: 'B' }, user: { name: 'other', credential: 'c', roles: [] } },
    { kind: 'role', name: 'r', stamp: { t: 5, n: 'B' }, role: { name: 'r', privileges: [{ code: 99, ns: '', set: '' }], whitelist: [] } },
    { kind: 'user', name: 'x'.repeat(64), stamp: { t: 5, n: 'B' } },
    { kind: 'user', name: 'good', stamp: { t: 5, n: 'B' }, user: { name: 'good', credential: 'c', roles: ['read'] } },
  ]);
  assert.equal(applied, 1);
  assert.deepEqual([...a.users.keys()].sort(), ['admin', 'good']);
});

test('tombstones beyond the bound forget the oldest first', () => {
  const clock = { ms: 1 };
  const a = node('A', clock);
  for (let i = 0; i < TOMBSTONES_MAX + 2; i++) {
    clock.ms++;
    a.dropUser(`u${i}`);
  }
  const names = new Set(a.items().filter((i) => i.kind === 'user' && !i.user).map((i) => i.name));
  assert.equal(names.size, TOMBSTONES_MAX);
  assert.equal(names.has('u0'), false);
  assert.equal(names.has(`u${TOMBSTONES_MAX + 1}`), true);
});

test('stamps and tombstones survive a restart through the SMD file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strato-secsmd-'));
  try {
    const clock = { ms: 1000 };
    const a = node('A', clock, new SmdStore(dir));
    a.putUser(user('ann'));
    clock.ms = 2000;
    a.dropUser('ann');
    const again = node('A', clock, new SmdStore(dir));
    assert.equal(again.users.has('ann'), false);
    // an older copy of ann from a member that was away does not come back after the restart
    assert.equal(again.merge([{ kind: 'user', name: 'ann', stamp: { t: 1000, n: 'C' }, user: user('ann') }]), 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a console token issued on one member verifies on another once they merged: the earliest console key wins both ways', () => {
  const clock = { ms: 1_000_000 };
  const a = node('A', clock);
  clock.ms += 5000;
  const b = node('B', clock); // created later: adopts A's key whichever way the merge goes
  const nowS = () => Math.floor(clock.ms / 1000);
  const fromB = b.issueConsoleToken('ann', nowS() + 60);
  assert.equal(a.verifyToken(fromB, nowS()), undefined, 'different keys before the exchange');
  a.merge(b.items());
  b.merge(a.items());
  const fromA = a.issueConsoleToken('ann', nowS() + 60);
  assert.equal((b.verifyToken(fromA, nowS()) as { user: string }).user, 'ann');
  assert.equal((a.verifyToken(b.issueConsoleToken('ann', nowS() + 60), nowS()) as { user: string }).user, 'ann');
  // B's tokens from before it adopted the cluster's key end
  assert.equal(b.verifyToken(fromB, nowS()), undefined);
  // a client login's token stays the node's own
  assert.equal(b.verifyToken(a.issueToken('ann', nowS() + 60), nowS()), undefined);
  assert.equal(b.verifyToken(fromA, nowS() + 60), 'expired');
});

test('a console logout reaches the other members, survives a restart and is forgotten once the token expired', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strato-secsmd-'));
  try {
    const clock = { ms: 1_000_000 };
    const a = node('A', clock);
    const b = node('B', clock, new SmdStore(dir));
    b.merge(a.items());
    const nowS = () => Math.floor(clock.ms / 1000);
    const token = a.issueConsoleToken('ann', nowS() + 60);
    const other = a.issueConsoleToken('ann', nowS() + 60);
    const sent: SecItem[][] = [];
    a.onLocalChange = (items) => sent.push(items);
    assert.equal(a.logoutConsoleToken(token, nowS()), true);
    assert.equal(a.verifyToken(token, nowS()), undefined);
    assert.equal(sent.length, 1);
    assert.equal(b.merge(sent[0]!), 1);
    assert.equal(b.verifyToken(token, nowS()), undefined);
    assert.equal((b.verifyToken(other, nowS()) as { user: string }).user, 'ann', 'only that session ends');
    const again = node('B', clock, new SmdStore(dir));
    assert.equal(again.verifyToken(token, nowS()), undefined);
    assert.equal((again.verifyToken(other, nowS()) as { user: string }).user, 'ann');
    // past the token's expiry the logout is dropped with the next one
    clock.ms += 61_000;
    a.logoutConsoleToken(a.issueConsoleToken('bob', nowS() + 60), nowS());
    assert.equal(a.items().filter((i) => i.kind === 'console-logout').length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
