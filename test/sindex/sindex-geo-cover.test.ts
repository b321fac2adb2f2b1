/**
 * A geo "points within region" query covers its region with the namespace's geo2dsphere-within
 * parameters (min-level, max-level, max-cells up to 256), as Aerospike 8.1's query does: a covering
 * of more than max(6, max-cells) cells (or more than 256) is refused with PARAMETER_ERROR (4), and
 * coverings of up to 256 cells answer exactly. Through the official client against a real strato.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Aerospike from 'aerospike';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { connectClient } from '../helpers/client.js';

let server: StratoProcess;
let client: any;
/** A 10° × 10° box: 9 cells at the defaults, 81 from min-level 6, 202 from min-level 6 with max-cells 256, 289 from min-level 7. */
const BOX = JSON.stringify({ type: 'Polygon', coordinates: [[[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]] });

before(async () => {
  server = await startStrato();
  client = await connectClient({ hosts: [{ addr: '127.0.0.1', port: server.port }], log: { level: -1 } as any });
  // points at (a + 0.5, b + 0.5), a, b in 0..11: 100 of them inside the box
  for (let a = 0; a < 12; a++) {
    for (let b = 0; b < 12; b++) {
      const loc = new Aerospike.GeoJSON({ type: 'Point', coordinates: [a + 0.5, b + 0.5] });
      await client.put(new Aerospike.Key('test', 'gc', a * 100 + b), { loc, a, b });
    }
  }
  await (await client.createGeo2DSphereIndex({ ns: 'test', set: 'gc', bin: 'loc', index: 'gc_loc' })).wait(10);
});

after(async () => {
  await client?.close(false);
  await server?.stop();
});

async function setGeo(key: string, value: number): Promise<void> {
  const r = String(await client.info(`set-config:context=namespace;id=test;geo2dsphere-within-${key}=${value}`, { addr: '127.0.0.1', port: server.port })).trim();
  assert.equal(r.slice(r.indexOf('\t') + 1), 'ok');
}

/** The number of records the box query answers, or the error code it fails with. */
async function boxQuery(): Promise<{ count?: number; code?: number }> {
  const q = client.query('test', 'gc');
  q.where(Aerospike.filter.geoWithinGeoJSONRegion('loc', new Aerospike.GeoJSON(BOX)));
  try {
    const recs = await q.results();
    for (const r of recs) assert.ok(r.bins.a < 10 && r.bins.b < 10, `point ${r.bins.a},${r.bins.b} is outside the box`);
    return { count: recs.length };
  } catch (e: any) {
    return { code: e.code };
  }
}

test('a region is covered with the namespace geo2dsphere-within parameters: too many cells are refused, up to max-cells (256) answer', async () => {
  assert.deepEqual(await boxQuery(), { count: 100 });
  // 81 cells at min-level 6 is more than max-cells 12
  await setGeo('min-level', 6);
  assert.deepEqual(await boxQuery(), { code: Aerospike.status.ERR_REQUEST_INVALID });
  // with max-cells 256 the same region is covered with 202 cells and answers exactly
  await setGeo('max-cells', 256);
  assert.deepEqual(await boxQuery(), { count: 100 });
  // 289 cells at min-level 7 exceed 256
  await setGeo('min-level', 7);
  assert.deepEqual(await boxQuery(), { code: Aerospike.status.ERR_REQUEST_INVALID });
  await setGeo('min-level', 1);
  await setGeo('max-cells', 12);
  assert.deepEqual(await boxQuery(), { count: 100 });
});
