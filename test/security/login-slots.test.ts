/**
 * The slots `login-threads` gives LDAP logins (src/security/login-slots.ts): at most that many run,
 * the others wait in order, a full queue refuses at once, and a login that waited too long is
 * refused and leaves the queue.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoginSlots } from '../../src/security/login-slots.js';

test('at most `slots` logins hold a slot; a freed slot goes to the oldest waiting login', async () => {
  const slots = new LoginSlots(2, 10, 60_000);
  assert.equal(await slots.acquire(), 'ok');
  assert.equal(await slots.acquire(), 'ok');
  const order: string[] = [];
  const third = slots.acquire().then((a) => order.push(`third:${a}`));
  const fourth = slots.acquire().then((a) => order.push(`fourth:${a}`));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, [], 'both wait while two logins run');
  slots.release();
  await third;
  assert.deepEqual(order, ['third:ok']);
  slots.release();
  await fourth;
  assert.deepEqual(order, ['third:ok', 'fourth:ok']);
  assert.equal(slots.peak, 2);
});

test('a full queue refuses a login at once', async () => {
  const slots = new LoginSlots(1, 1, 60_000);
  assert.equal(await slots.acquire(), 'ok');
  const waiting = slots.acquire();
  assert.equal(await slots.acquire(), 'queue-full');
  slots.release();
  assert.equal(await waiting, 'ok');
});

test('a login that waited longer than the bound is refused and no longer holds a place in the queue', async () => {
  const slots = new LoginSlots(1, 1, 30);
  assert.equal(await slots.acquire(), 'ok');
  // the wait timer does not hold the process open (a node exits without waiting for it): this does
  const alive = setTimeout(() => undefined, 5_000);
  try {
    assert.equal(await slots.acquire(), 'timed-out');
  } finally {
    clearTimeout(alive);
  }
  // its place is free again: the next login queues instead of being refused as queue-full
  const next = slots.acquire();
  slots.release();
  assert.equal(await next, 'ok');
  slots.release();
  // every slot free: a login runs at once
  assert.equal(await slots.acquire(), 'ok');
});
