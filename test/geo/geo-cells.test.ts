/**
 * GeoJSON particle cells: byte-exact against the recorded Aerospike 8.1.2.0 answers, plus unit
 * tests of the S2 cell-id math and covering properties.
 */

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import {
  PARTICLE_COVERER_OPTIONS,
  QUERY_COVERER_OPTIONS,
  coverRegion,
  decodeGeoJsonParticle,
  encodeGeoJsonParticle,
  geoContains,
  geoJsonParticleMatches,
  parseGeoJson,
  pointCellCenters,
} from '../../src/geo/index.js';
import { AsError, ResultCode } from '../../src/protocol/result-codes.js';
import { S2Cap } from '../../src/geo/s2/cap.js';
import { S2Cell } from '../../src/geo/s2/cell.js';
import * as CID from '../../src/geo/s2/cell-id.js';
import { latLngFromPoint, latLngToPoint } from '../../src/geo/s2/latlng-rect.js';
import { RegionCoverer } from '../../src/geo/s2/coverer.js';
import { CORPUS } from '../helpers/paths.js';

const hex = (ids: bigint[]): string[] => ids.map((c) => c.toString(16).padStart(16, '0'));

function particle(json: string): { flags: number; cells: string[]; text: string } {
  const d = decodeGeoJsonParticle(encodeGeoJsonParticle(json));
  return { flags: d.flags, cells: hex(d.cells), text: d.json.toString('utf8') };
}

function pointOf(lng: number, lat: number) {
  return latLngToPoint({ lat: (Math.PI / 180) * lat, lng: (Math.PI / 180) * lng });
}

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function assertGeoError(json: string, why: string): void {
  assert.throws(
    () => encodeGeoJsonParticle(json),
    (e: unknown) => e instanceof AsError && e.code === ResultCode.GEO_INVALID_GEOJSON,
    why,
  );
}

describe('geojson particles match the recorded Aerospike answers', () => {
  it('kv-types steps 111/112: point [103.913, 1.308]', () => {
    const json = '{"type":"Point","coordinates":[103.913,1.308]}';
    const buf = encodeGeoJsonParticle(json);
    assert.equal(buf.toString('hex'), '00000131da180ab7f7a279' + Buffer.from(json).toString('hex'));
  });

  it('kv-types steps 113/114: polygon -> region flag and 9 cells', () => {
    const p = particle('{"type":"Polygon","coordinates":[[[103.6,1.2],[104,1.2],[104,1.5],[103.6,1.5],[103.6,1.2]]]}');
    assert.equal(p.flags, 1);
    assert.deepEqual(p.cells, [
      '31da100000000000',
      '31da240000000000',
      '31da3d0000000000',
      '31da3f0000000000',
      '31da410000000000',
      '31da6b0000000000',
      '31da6d0000000000',
      '31da730000000000',
      '31da74c000000000',
    ]);
  });

  it('kv-types steps 115/116: AeroCircle [[-122, 37.5], 50000] -> region flag and 12 cells', () => {
    const p = particle('{"type":"AeroCircle","coordinates":[[-122,37.5],50000]}');
    assert.equal(p.flags, 1);
    assert.deepEqual(p.cells, [
      '80855c0000000000',
      '8085700000000000',
      '8085840000000000',
      '808e300000000000',
      '808e500000000000',
      '808effc000000000',
      '808f100000000000',
      '808f700000000000',
      '808fc00000000000',
      '80901c0000000000',
      '8090300000000000',
      '8091d00000000000',
    ]);
  });

  it('kv-types steps 117/118 and scan-query steps 1-10/36: points [0,0] .. [9,9]', () => {
    const expected = [
      '1000000000000001',
      '1001441540804bd5',
      '10051011a440f1f3',
      '101051471e0be6fd',
      '1014143d0d8fe66d',
      '101555b52791eb4b',
      '104115c93b3a86f7',
      '10445378e7088e5d',
      '1050171ce182eec5',
      '105159f05b3164b3',
    ];
    for (let k = 0; k < 10; k++) {
      const p = particle(`{"type":"Point","coordinates":[${k},${k}]}`);
      assert.equal(p.flags, 0);
      assert.deepEqual(p.cells, [expected[k]], `point [${k},${k}]`);
    }
  });

  it('exp-eval step 15/24 and exp-write step 16: point [103.9, 1.3]', () => {
    assert.deepEqual(particle('{"type":"Point","coordinates":[103.9,1.3]}').cells, ['31da186fa847d593']);
  });

  it('every geojson particle in the recorded corpus responses re-encodes byte for byte', (t) => {
    const dir = CORPUS;
    let checked = 0;
    for (const file of ['kv.jsonl', 'scan-query.jsonl', 'exp.jsonl', 'operate.jsonl', 'batch.jsonl']) {
      const path = `${dir}/${file}`;
      for (const line of readFileSync(path, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        const rec = JSON.parse(line) as { scenario: string; step: number; responses: string[] };
        for (const frameHex of rec.responses) {
          for (const value of geoValuesInFrame(Buffer.from(frameHex, 'hex'))) {
            const d = decodeGeoJsonParticle(value);
            const again = encodeGeoJsonParticle(d.json);
            assert.equal(again.toString('hex'), value.toString('hex'), `${file} ${rec.scenario} step ${rec.step}`);
            checked++;
          }
        }
      }
    }
    assert.ok(checked >= 20, `expected to check the corpus geo values, checked ${checked}`);
  });
});

/** Extracts the values of particle-type-23 ops from all as_msg messages of an AS_MSG proto frame. */
function geoValuesInFrame(frame: Buffer): Buffer[] {
  const out: Buffer[] = [];
  if (frame.length < 8 || frame[1] !== 3) return out;
  let p = 8;
  while (p + 22 <= frame.length) {
    const headerSz = frame[p]!;
    if (headerSz !== 22) break;
    const nFields = frame.readUInt16BE(p + 18);
    const nOps = frame.readUInt16BE(p + 20);
    p += 22;
    for (let i = 0; i < nFields; i++) p += 4 + frame.readUInt32BE(p);
    for (let i = 0; i < nOps; i++) {
      const size = frame.readUInt32BE(p);
      const particleType = frame[p + 5]!;
      const nameLen = frame[p + 7]!;
      if (particleType === 23) out.push(frame.subarray(p + 8 + nameLen, p + 4 + size));
      p += 4 + size;
    }
  }
  return out;
}

/**
 * Reference vectors: coverings computed by the C++ S2 library at the commit Aerospike 8.1 pins
 * (aerospike/s2geometry 5707cf3), with the loops/caps built exactly as Aerospike's geojson.cc
 * builds them and the particle coverer parameters (min-level 1, max-level 30, max-cells 12).
 */
const REFERENCE_VECTORS: [string, string, string[]][] = [
  ["polygon with 40 vertices (index subdivision)","{\"type\":\"Polygon\",\"coordinates\":[[[-73.86,40.75],[-73.930616,40.757822],[-73.865873,40.787082],[-73.93545,40.7727],[-73.882918,40.820534],[-73.944645,40.785355],[-73.909466,40.847082],[-73.9573,40.79455],[-73.942918,40.864127],[-73.972178,40.799384],[-73.98,40.87],[-73.987822,40.799384],[-74.017082,40.864127],[-74.0027,40.79455],[-74.050534,40.847082],[-74.015355,40.785355],[-74.077082,40.820534],[-74.02455,40.7727],[-74.094127,40.787082],[-74.029384,40.757822],[-74.1,40.75],[-74.029384,40.742178],[-74.094127,40.712918],[-74.02455,40.7273],[-74.077082,40.679466],[-74.015355,40.714645],[-74.050534,40.652918],[-74.0027,40.70545],[-74.017082,40.635873],[-73.987822,40.700616],[-73.98,40.63],[-73.972178,40.700616],[-73.942918,40.635873],[-73.9573,40.70545],[-73.909466,40.652918],[-73.944645,40.714645],[-73.882918,40.679466],[-73.93545,40.7273],[-73.865873,40.712918],[-73.930616,40.742178],[-73.86,40.75]]]}",["89c244d500000000","89c244d700000000","89c2454c00000000","89c2510000000000","89c2570000000000","89c25c0000000000","89c2f50000000000","89c2f70000000000","89c2f90000000000"]],
  ["polygon with a hole","{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[10,0],[10,10],[0,10],[0,0]],[[4,4],[6,4],[6,6],[4,6],[4,4]]]}",["0555555555555555","0fd0000000000000","0fe4000000000000","0ffc000000000000","1040000000000000","1a84000000000000","1a9c000000000000","1aa4000000000000","1aac000000000000"]],
  ["loop around the north pole","{\"type\":\"Polygon\",\"coordinates\":[[[-180,80],[-150,80],[-120,80],[-90,80],[-60,80],[-30,80],[0,80],[30,80],[60,80],[90,80],[120,80],[150,80],[-180,80]]]}",["4540000000000000","4f90000000000000","4fa3000000000000","4fb7000000000000","4fbc000000000000","4fd0000000000000","4ff0000000000000","5040000000000000","5ac0000000000000"]],
  ["rectangle across the antimeridian","{\"type\":\"Polygon\",\"coordinates\":[[[170,-10],[-170,-10],[-170,10],[170,10],[170,-10]]]}",["6540000000000000","6fc0000000000000","7040000000000000","7ac0000000000000"]],
  ["large rectangle spanning several faces","{\"type\":\"Polygon\",\"coordinates\":[[[-60,-30],[60,-30],[60,30],[-60,30],[-60,-30]]]}",["0400000000000000","0c00000000000000","1400000000000000","1c00000000000000","2400000000000000","3c00000000000000","4400000000000000","4c00000000000000","8c00000000000000","9400000000000000","b400000000000000","bc00000000000000"]],
  ["multipolygon","{\"type\":\"MultiPolygon\",\"coordinates\":[[[[0,0],[1,0],[1,1],[0,1],[0,0]]],[[[10,10],[11,10],[11,11],[10,11],[10,10]]]]}",["0555555555555555","0ffe400000000000","0fffd00000000000","0ffff00000000000","1001000000000000","1055400000000000","10ffc00000000000","1100400000000000","11aac00000000000","1aaa0c0000000000","1aaa700000000000","1aaac00000000000"]],
  ["tiny triangle","{\"type\":\"Polygon\",\"coordinates\":[[[2.2945,48.8584],[2.295,48.8584],[2.2947,48.8587],[2.2945,48.8584]]]}",["47e66fe18cd00000","47e66fe18ce10000","47e66fe18d400000","47e66fe18d900000","47e66fe18db00000","47e66fe192900000","47e66fe192b00000","47e66fe192d00000","47e66fe1ecd00000","47e66fe1ed400000","47e66fe1f2c00000","47e66fe1f3400000"]],
  ["circle at the south pole","{\"type\":\"AeroCircle\",\"coordinates\":[[0,-90],300000]}",["a54d000000000000","a554000000000000","a559000000000000","afe3000000000000","aff7000000000000","affc000000000000","b004000000000000","b009000000000000","b01d000000000000","baa7000000000000","baac000000000000","bab3000000000000"]],
  ["circle of radius 1 m","{\"type\":\"AeroCircle\",\"coordinates\":[[-0.1276,51.5072],1]}",["487604ce4a8b4000","487604ce4a8c9000","487604ce4a8cb000","487604ce4a8ccc00","487604ce4af34000","487604ce4af3c000","487604ce4af44000","487604ce4af4c000","487604ce4af51000","487604ce4af52400","487604ce4af52c00","487604ce4af5aab0"]],
  ["circle on a cube-face corner","{\"type\":\"AeroCircle\",\"coordinates\":[[45,35.26438968275466],100000]}",["1555000000000000","3fff000000000000","4001000000000000"]],
];

describe('coverings match the reference S2 library', () => {
  for (const [name, json, cells] of REFERENCE_VECTORS) {
    it(name, () => {
      const p = particle(json);
      assert.equal(p.flags, 1);
      assert.deepEqual(p.cells, cells);
      assert.equal(p.text, json);
    });
  }

  it('degenerate circles (same reference)', () => {
    // Radius 0 at [0,0]: the four leaf cells meeting at the face center.
    assert.deepEqual(particle('{"type":"AeroCircle","coordinates":[[0,0],0]}').cells, [
      '0555555555555555',
      '0fffffffffffffff',
      '1000000000000001',
      '1aaaaaaaaaaaaaab',
    ]);
    // A negative radius is an empty cap: a region with no cells.
    assert.deepEqual(particle('{"type":"AeroCircle","coordinates":[[0,0],-5]}'), {
      flags: 1,
      cells: [],
      text: '{"type":"AeroCircle","coordinates":[[0,0],-5]}',
    });
    assert.deepEqual(particle('{"type":"MultiPolygon","coordinates":[]}').cells, []);
    // 20000 km: the level-1 covering needs 24 cells, more than max(6, max-cells 12) -> rejected.
    assertGeoError('{"type":"AeroCircle","coordinates":[[20,10],20000000]}', 'covering too large');
  });
});

describe('S2 cell ids', () => {
  it('face cells, levels and debug strings', () => {
    for (let f = 0; f < 6; f++) {
      const id = CID.fromFace(f);
      assert.equal(id, (BigInt(f) << 61n) | (1n << 60n));
      assert.equal(CID.level(id), 0);
      assert.equal(CID.face(id), f);
      assert.ok(CID.isFace(id));
      assert.equal(CID.toDebugString(id), `${f}/`);
    }
    const leaf = CID.fromPoint(pointOf(0, 0));
    assert.equal(leaf, 0x1000000000000001n);
    assert.equal(CID.level(leaf), 30);
    assert.ok(CID.isLeaf(leaf));
    assert.equal(CID.toDebugString(CID.parentAt(leaf, 3)), '0/200');
  });

  it('known leaf cells of poles and axis points', () => {
    // North pole: face 2, u = v = 0; south pole: face 5.
    assert.equal(CID.face(CID.fromPoint([0, 0, 1])), 2);
    assert.equal(CID.face(CID.fromPoint([0, 0, -1])), 5);
    assert.equal(CID.fromPoint([0, 0, 1]), 0x5000000000000001n);
    assert.equal(CID.fromPoint([0, 1, 0]), 0x3000000000000001n);
    assert.equal(CID.fromPoint([-1, 0, 0]), 0x7000000000000001n);
  });

  it('fromFaceIJ / toFaceIJOrientation round trip, parents, children and ranges', () => {
    const r = rng(1);
    for (let n = 0; n < 300; n++) {
      const f = Math.floor(r() * 6);
      const i = Math.floor(r() * 2 ** 30);
      const j = Math.floor(r() * 2 ** 30);
      const id = CID.fromFaceIJ(f, i, j);
      assert.ok(CID.isValid(id));
      const back = CID.toFaceIJOrientation(id);
      assert.deepEqual([back.face, back.i, back.j], [f, i, j]);
      const lvl = Math.floor(r() * 30);
      const par = CID.parentAt(id, lvl);
      assert.equal(CID.level(par), lvl);
      assert.ok(CID.contains(par, id));
      assert.ok(CID.rangeMin(par) <= id && id <= CID.rangeMax(par));
      if (lvl < 30) {
        const kids = [0, 1, 2, 3].map((k) => CID.child(par, k));
        assert.equal(kids.filter((k) => CID.contains(k, id)).length, 1);
        for (const k of kids) assert.equal(CID.parent(k), par);
        assert.equal(CID.childBegin(par), kids[0]);
        assert.equal(CID.next(kids[3]!), CID.childEndAt(par, lvl + 1));
      }
      assert.equal(CID.getCommonAncestorLevel(id, par), lvl);
    }
  });

  it('the leaf cell of a point contains the point and its center is within a leaf width', () => {
    const r = rng(2);
    for (let n = 0; n < 200; n++) {
      const p = pointOf(r() * 360 - 180, r() * 180 - 90);
      const id = CID.fromPoint(p);
      assert.ok(S2Cell.fromId(id).containsPoint(p));
      const c = CID.toPoint(id);
      const d = Math.hypot(c[0] - p[0], c[1] - p[1], c[2] - p[2]);
      assert.ok(d < 1e-8, `center distance ${d}`);
    }
  });

  it('edge neighbors are mutual and at the same level', () => {
    const r = rng(3);
    for (let n = 0; n < 100; n++) {
      const lvl = 1 + Math.floor(r() * 29);
      const id = CID.parentAt(CID.fromPoint(pointOf(r() * 360 - 180, r() * 180 - 90)), lvl);
      for (const nb of CID.getEdgeNeighbors(id)) {
        assert.equal(CID.level(nb), lvl);
        assert.ok(CID.getEdgeNeighbors(nb).includes(id));
      }
    }
  });

  it('cell vertices are shared by the four children', () => {
    const cell = S2Cell.fromId(CID.parentAt(CID.fromPoint(pointOf(10, 20)), 5));
    const kids = cell.subdivide()!;
    assert.equal(kids.length, 4);
    for (const k of kids) {
      assert.ok(CID.contains(cell.id, k.id));
      assert.equal(k.level, 6);
      assert.ok(cell.containsPoint(k.getCenter()));
    }
  });
});

describe('coverings', () => {
  it('the leaf cell of a point is contained by a covering cell of every circle around it', () => {
    const r = rng(4);
    for (let n = 0; n < 40; n++) {
      const lng = r() * 360 - 180;
      const lat = r() * 170 - 85;
      const radius = 10 + r() * 500000;
      const p = particle(`{"type":"AeroCircle","coordinates":[[${lng},${lat}],${radius}]}`);
      assert.equal(p.flags, 1);
      assert.ok(p.cells.length >= 1 && p.cells.length <= 12);
      const leaf = CID.fromPoint(pointOf(lng, lat));
      const cells = p.cells.map((h) => BigInt('0x' + h));
      assert.ok(
        cells.some((c) => CID.contains(c, leaf)),
        `circle ${lng},${lat},${radius}`,
      );
      // The covering is sorted and non-overlapping, at levels 1..30.
      for (let k = 1; k < cells.length; k++) assert.ok(CID.rangeMax(cells[k - 1]!) < CID.rangeMin(cells[k]!));
      for (const c of cells) assert.ok(CID.level(c) >= 1);
    }
  });

  it('points inside a polygon fall in its covering; coverings are canonical', () => {
    const r = rng(5);
    for (let n = 0; n < 30; n++) {
      const lng = r() * 300 - 150;
      const lat = r() * 140 - 70;
      const w = 0.01 + r() * 20;
      const h = 0.01 + r() * 20;
      const ring = [
        [lng, lat],
        [lng + w, lat],
        [lng + w, lat + h],
        [lng, lat + h],
        [lng, lat],
      ];
      const json = JSON.stringify({ type: 'Polygon', coordinates: [ring] });
      const cells = decodeGeoJsonParticle(encodeGeoJsonParticle(json)).cells;
      assert.ok(cells.length >= 1 && cells.length <= 12);
      // Positive combinations of the (spherical) vertices lie inside the convex quadrilateral.
      const verts = ring.slice(0, 4).map(([x, y]) => pointOf(x!, y!));
      for (let k = 0; k < 10; k++) {
        const wts = [0, 1, 2, 3].map(() => 0.1 + r());
        const v: [number, number, number] = [0, 0, 0];
        for (let q = 0; q < 4; q++) for (let d = 0; d < 3; d++) v[d] += wts[q]! * verts[q]![d]!;
        const ll = latLngFromPoint(v);
        const plng = (180 / Math.PI) * ll.lng;
        const plat = (180 / Math.PI) * ll.lat;
        const leaf = CID.fromPoint(pointOf(plng, plat));
        assert.ok(
          cells.some((c) => CID.contains(c, leaf)),
          `point ${plng},${plat} in ${json}`,
        );
        assert.ok(geoContains(json, JSON.stringify({ type: 'Point', coordinates: [plng, plat] })), `${plng},${plat} in ${json}`);
      }
    }
  });

  it('cover a cap with the query parameters (max-level 20)', () => {
    const cap = S2Cap.fromCenterAngle(pointOf(0, 0), 200000 / 6371000);
    const cells = coverRegion(cap, QUERY_COVERER_OPTIONS);
    assert.ok(cells.length <= 12);
    for (const c of cells) assert.ok(CID.level(c) <= 20 && CID.level(c) >= 1);
    assert.ok(cells.some((c) => CID.contains(c, 0x1000000000000001n)));
    assert.deepEqual(new RegionCoverer(PARTICLE_COVERER_OPTIONS).options, PARTICLE_COVERER_OPTIONS);
  });

  it('MultiPolygon and Feature wrappers', () => {
    const mp = particle(
      '{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,1],[0,0]]],[[[10,10],[11,10],[11,11],[10,11],[10,10]]]]}',
    );
    assert.equal(mp.flags, 1);
    assert.ok(mp.cells.length >= 1 && mp.cells.length <= 12);
    const f = particle('{"type":"Feature","geometry":{"type":"Point","coordinates":[0,0]},"properties":{}}');
    assert.deepEqual([f.flags, f.cells], [0, ['1000000000000001']]);
  });
});

describe('invalid GeoJSON is rejected with GEO_INVALID_GEOJSON (160)', () => {
  const cases: [string, string][] = [
    ['', 'empty'],
    ['not json', 'not JSON'],
    ['{"type":"Point","coordinates":[0,0]', 'truncated'],
    ['{"type":"Point","coordinates":[0,0]} x', 'trailing garbage'],
    ['[1,2]', 'top level not an object'],
    ['{"coordinates":[0,0]}', 'missing type'],
    ['{"type":5,"coordinates":[0,0]}', 'type not a string'],
    ['{"type":"LineString","coordinates":[[0,0],[1,1]]}', 'unsupported type'],
    ['{"type":"point","coordinates":[0,0]}', 'types are case sensitive'],
    ['{"type":"Point"}', 'missing coordinates'],
    ['{"type":"Point","coordinates":{}}', 'coordinates not an array'],
    ['{"type":"Point","coordinates":[0]}', 'one coordinate'],
    ['{"type":"Point","coordinates":[0,0,0]}', 'three coordinates'],
    ['{"type":"Point","coordinates":["0",0]}', 'string longitude'],
    ['{"type":"Point","coordinates":[0,null]}', 'null latitude'],
    ['{"type":"Point","coordinates":[0,90.0000001]}', 'latitude > 90'],
    ['{"type":"Point","coordinates":[-180.0000001,0]}', 'longitude < -180'],
    ['{"type":"Point","coordinates":[1e400,0]}', 'real overflow'],
    ['{"type":"Point","coordinates":[99999999999999999999,0]}', 'integer overflow'],
    ['{"type":"Point","coordinates":[01,0]}', 'leading zero'],
    ['{"type":"Point\\u0000","coordinates":[0,0]}', 'NUL in string'],
    ['{"type":"Point","coordinates":[0,0],"x":"\\ud800"}', 'lone surrogate escape'],
    ['{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}', 'loop not closed'],
    ['{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}', 'loop with 3 points'],
    ['{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,0],[0,0]]]}', 'fewer than 4 points after dropping duplicates'],
    ['{"type":"Polygon","coordinates":[[0,0]]}', 'loop vertices not positions'],
    ['{"type":"Polygon","coordinates":{}}', 'polygon body not an array'],
    ['{"type":"MultiPolygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}', 'multipolygon missing a nesting level'],
    ['{"type":"AeroCircle","coordinates":[[0,0]]}', 'circle without radius'],
    ['{"type":"AeroCircle","coordinates":[[0,0],"1"]}', 'string radius'],
    ['{"type":"AeroCircle","coordinates":[0,0,1]}', 'malformed circle'],
    ['{"type":"Feature","geometry":{"type":"Feature","geometry":{}}}', 'nested Feature'],
    ['{"type":"Feature"}', 'Feature without geometry'],
  ];
  for (const [json, why] of cases) {
    it(why, () => assertGeoError(json, why));
  }

  it('invalid UTF-8 bytes', () => {
    const bytes = Buffer.concat([Buffer.from('{"type":"Point","coordinates":[0,0],"x":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    assert.throws(() => encodeGeoJsonParticle(bytes), (e: unknown) => e instanceof AsError && e.code === 160);
  });

  it('accepts what Aerospike accepts', () => {
    // Integers and reals, whitespace, extra members, duplicate keys (last wins), exponent forms.
    assert.equal(particle(' {"type" : "Point", "coordinates" : [ 0.0e0 , -0 ], "properties": null} ').cells[0], '1000000000000001');
    assert.equal(particle('{"type":"Polygon","type":"Point","coordinates":[0,0]}').flags, 0);
    // A polygon with no loops is an empty region: flags 1, no cells.
    assert.deepEqual(particle('{"type":"Polygon","coordinates":[]}').cells, []);
    // Clockwise loops are inverted to cover the smaller area (S2Loop::Normalize).
    const ccw = particle('{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}');
    const cw = particle('{"type":"Polygon","coordinates":[[[0,0],[0,1],[1,1],[1,0],[0,0]]]}');
    assert.deepEqual(cw.cells, ccw.cells);
  });
});

describe('geoContains', () => {
  const poly = '{"type":"Polygon","coordinates":[[[103,1],[105,1],[105,2],[103,2],[103,1]]]}';

  it('exp-eval steps 56/57: point [103.9, 1.3] is within the polygon', () => {
    assert.equal(geoContains(poly, '{"type":"Point","coordinates":[103.9,1.3]}'), true);
    assert.equal(geoContains(poly, '{"type":"Point","coordinates":[102.9,1.3]}'), false);
  });

  it('scan-query step 31: polygon around points 2..4', () => {
    const q = '{"type":"Polygon","coordinates":[[[1.5,1.5],[4.5,1.5],[4.5,4.5],[1.5,4.5],[1.5,1.5]]]}';
    const hits = [...Array(10).keys()].filter((k) => geoContains(q, `{"type":"Point","coordinates":[${k},${k}]}`));
    assert.deepEqual(hits, [2, 3, 4]);
  });

  it('scan-query step 32: within 200 km of (0,0)', () => {
    const q = '{"type":"AeroCircle","coordinates":[[0,0],200000]}';
    const hits = [...Array(10).keys()].filter((k) => geoContains(q, `{"type":"Point","coordinates":[${k},${k}]}`));
    assert.deepEqual(hits, [0, 1]);
  });

  it('invalid or mismatched inputs are not contained', () => {
    assert.equal(geoContains('{"type":"Point","coordinates":[0,0]}', '{"type":"Point","coordinates":[0,0]}'), false);
    assert.equal(geoContains(poly, 'nope'), false);
    assert.equal(geoContains(poly, poly), false);
  });

  it('polygons with holes and multipolygons', () => {
    const holed =
      '{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]],[[4,4],[6,4],[6,6],[4,6],[4,4]]]}';
    assert.equal(geoContains(holed, '{"type":"Point","coordinates":[2,2]}'), true);
    assert.equal(geoContains(holed, '{"type":"Point","coordinates":[5,5]}'), false);
    const multi =
      '{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,1],[0,0]]],[[[10,10],[11,10],[11,11],[10,11],[10,10]]]]}';
    assert.equal(geoContains(multi, '{"type":"Point","coordinates":[10.5,10.5]}'), true);
    assert.equal(geoContains(multi, '{"type":"Point","coordinates":[5,5]}'), false);
  });

  it('particle matching follows as_geojson_match', () => {
    const region = parseGeoJson(poly);
    const inside = encodeGeoJsonParticle('{"type":"Point","coordinates":[104,1.5]}');
    const outside = encodeGeoJsonParticle('{"type":"Point","coordinates":[0,0]}');
    const regionParticle = encodeGeoJsonParticle(poly);
    assert.equal(geoJsonParticleMatches(inside, region), true);
    assert.equal(geoJsonParticleMatches(outside, region), false);
    assert.equal(geoJsonParticleMatches(regionParticle, region), false);
    const point = parseGeoJson('{"type":"Point","coordinates":[104,1.5]}');
    assert.equal(geoJsonParticleMatches(regionParticle, point), true);
    assert.equal(geoJsonParticleMatches(inside, point), false);
    assert.equal(pointCellCenters(0x1000000000000001n).length, 30);
  });
});
