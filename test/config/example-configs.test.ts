/**
 * The example configurations shipped with Aerospike server 8.1.2 (as/etc, copied to
 * test/fixtures/aerospike-8.1.2/etc) start Strato unchanged apart from the environment: the
 * addresses (`any` becomes 127.0.0.1, where tests listen), the ports (free ephemeral ones; the
 * mesh seed points at a port nobody listens on instead of 10.10.10.10) and, in the device example,
 * the device paths its comment asks for (temporary pre-sized files for /dev/sdb and /dev/sdc).
 * Strato then serves both namespaces and shows what the file set. gh-action.conf names the
 * enterprise-only `feature-key-file`: Aerospike CE 8.1.2 refuses it, and so does Strato.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Aerospike from 'aerospike';
import { FIXTURES } from '../helpers/paths.js';
import { runStratoExpectingFailure, startStrato } from '../helpers/strato-process.js';
import { infoRequest } from '../../src/client/info-request.js';
import { connectClient } from '../helpers/client.js';
import { freePorts } from '../helpers/strato-cluster.js';

const ETC = join(FIXTURES, 'aerospike-8.1.2', 'etc');
const original = (name: string) => readFileSync(join(ETC, name), 'utf8');

/** A port free right now, from outside the ephemeral range (see freePorts). */
const freePort = async (): Promise<number> => (await freePorts(1))[0]!;

/** Rewrites addresses and ports only; every other line stays as Aerospike ships it. */
async function localise(text: string): Promise<string> {
  let out = text.replace(/^(\s*address\s+)any\b/gm, '$1127.0.0.1');
  // heartbeat, fabric and admin ports (the service port is overridden with --port 0)
  for (const port of ['3001', '3002', '3003']) {
    const free = await freePort();
    out = out.replace(new RegExp(`^(\\s*port\\s+)${port}\\b`, 'gm'), `$1${free}`);
  }
  const nobody = await freePort();
  return out.replace(/^(\s*mesh-seed-address-port\s+)10\.10\.10\.10\s+\d+/gm, `$1127.0.0.1 ${nobody}`);
}

const info = async (port: number, cmd: string) => (await infoRequest({ host: '127.0.0.1', port }, [cmd], 5000)).get(cmd) ?? '';
const valueOf = (answer: string, key: string) => answer.split(';').find((p) => p.startsWith(`${key}=`))?.slice(key.length + 1);

/** Starts strato from `config`, writes and reads a record in each namespace, then checks `more`. */
async function startsAndServes(config: string, namespaces: string[], more: (port: number) => Promise<void> = async () => {}, prepare?: (dir: string) => void) {
  const server = await startStrato({ config, prepare });
  let client: any;
  try {
    // a mesh node serves once its (single-node) cluster has formed; bounded wait, no fixed sleep
    const deadline = Date.now() + 10_000;
    while ((await info(server.port, 'cluster-stable:size=1')).startsWith('ERROR')) {
      assert.ok(Date.now() < deadline, 'the single-node cluster forms within 10 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    client = await connectClient({ hosts: [{ addr: '127.0.0.1', port: server.port }], log: { level: -1 } as any });
    for (const ns of namespaces) {
      const key = new Aerospike.Key(ns, 'example', 1);
      await client.put(key, { v: ns });
      assert.deepEqual((await client.get(key)).bins, { v: ns });
    }
    assert.equal(valueOf(await info(server.port, 'get-config:context=service'), 'cluster-name'), 'cakery');
    await more(server.port);
  } finally {
    await client?.close(false);
    await server.stop();
  }
}

test('aerospike.conf (8.1.2) starts strato: a mesh node with namespaces test and bar in memory', async () => {
  await startsAndServes(await localise(original('aerospike.conf')), ['test', 'bar'], async (port) => {
    const ns = await info(port, 'get-config:context=namespace;id=bar');
    assert.equal(valueOf(ns, 'replication-factor'), '2');
    assert.equal(valueOf(ns, 'storage-engine.data-size'), String(4 * 1024 ** 3));
  });
});

test('aerospike_dev.conf (8.1.2) starts strato with its relative work, log and UDF directories', async () => {
  let dir = '';
  await startsAndServes(
    await localise(original('aerospike_dev.conf')),
    ['test', 'bar'],
    async (port) => {
      assert.equal(valueOf(await info(port, 'get-config:context=service'), 'run-as-daemon'), 'false');
      assert.match(readFileSync(join(dir, 'run', 'log', 'aerospike.log'), 'utf8'), /INFO/);
    },
    (d) => {
      dir = d;
      // Aerospike wants the directory of its log file to exist; so does Strato
      mkdirSync(join(d, 'run', 'log'), { recursive: true });
    },
  );
});

test('aerospike_ssd.conf (8.1.2) starts strato on the devices its comment asks for, with flush-size 128K', async () => {
  const text = await localise(original('aerospike_ssd.conf'));
  // the example's device lines are commented out, with "use ... actual device paths"
  const withDevices = text.replace(/^#(\s*device\s+)\/dev\/(sd[bc])$/gm, '$1${DIR}/$2');
  assert.notEqual(withDevices, text);
  await startsAndServes(
    withDevices,
    ['test'],
    async (port) => {
      const ns = await info(port, 'get-config:context=namespace;id=test');
      assert.equal(valueOf(ns, 'storage-engine'), 'device');
      assert.equal(valueOf(ns, 'storage-engine.flush-size'), String(128 * 1024));
      assert.match(valueOf(ns, 'storage-engine.device[1]') ?? '', /sdc$/);
    },
    (d) => {
      // pre-sized files stand in for the raw devices (sparse: no disk space is used up front)
      for (const dev of ['sdb', 'sdc']) {
        writeFileSync(join(d, dev), '');
        truncateSync(join(d, dev), 64 * 1024 * 1024);
      }
    },
  );
});

test("gh-action.conf (8.1.2) is refused as Aerospike CE refuses it: 'feature-key-file' is enterprise-only", async () => {
  const r = await runStratoExpectingFailure(original('gh-action.conf'));
  assert.equal(r.code, 1);
  assert.match(r.output, /strato\.conf:13: 'feature-key-file' is enterprise-only/);
});
