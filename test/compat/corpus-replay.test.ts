/**
 * Replays the exchanges recorded against a real Aerospike 8.1.2 server (test/fixtures/corpus) with
 * the project's replayer (test/helpers/corpus-replayer.ts) and compares strato's answers byte for
 * byte. Known gaps are listed by step with the reason, so a regression fails the test and a fix
 * shows up as a step to remove from the list.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CORPUS } from '../helpers/paths.js';
import { answerOf, replayCorpusFile, type ReplayConnection, type ReplayTarget } from '../helpers/corpus-replayer.js';
import { InProcessNode } from '../helpers/in-process.js';
import { encodeGet, encodePut } from '../../src/client/message-encoder.js';
import { encodeBatchGet } from '../../src/client/batch-read-encoder.js';
import { computeDigest } from '../../src/util/digest.js';


/** The configuration the corpus was recorded with (namespaces test and bar, CE behaviour). */
export const CORPUS_CONFIG = `
service {
  cluster-name corpus
  batch-max-requests 0
  enable-compression false
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
  default-ttl 0
  storage-engine memory {
    data-size 1G
  }
}
namespace bar {
  replication-factor 1
  nsup-period 120
  storage-engine memory {
    data-size 1G
  }
}
`;

/** Steps that do not match yet, with why. */
const KNOWN_GAPS: Record<string, Record<string, string>> = {
  'kv.jsonl': {},
  'operate.jsonl': {},
  'info.jsonl': {},
  'errors.jsonl': {},
  'bitwise.jsonl': {},
  'hll.jsonl': {},
  'cdt-list.jsonl': {},
  'cdt-map.jsonl': {},
  'path.jsonl': {},
  'exp.jsonl': {},
  'batch.jsonl': {},
  'udf.jsonl': {},
  'scan-query.jsonl': {},
  'sindex.jsonl': {},
  'kv81.jsonl': {},
  'info81.jsonl': {},
};

/**
 * What a file's recording assumed of the server before its first step. info81's `latencies:`
 * answers come from a server that had run reads, writes and batches across two ticker dumps (a
 * histogram shows `name:` until then); the replayed node gets the same history first: a little
 * traffic, and the ticker's histogram dump driven twice, a second of the node's clock apart. Its
 * `get-config` steps check only the listed parameters, so the ticker setting is free.
 */
const SETUP: Record<string, { config: string; before: (node: InProcessNode) => Promise<void> }> = {
  'info81.jsonl': {
    config: CORPUS_CONFIG.replace('cluster-name corpus', 'cluster-name corpus\n  ticker-interval 1'),
    before: warmLatencyHistograms,
  },
};

/** Rounds of traffic and two ticker dumps the warm-up tries before it gives up. */
const WARM_UP_ROUNDS = 5;

async function warmLatencyHistograms(node: InProcessNode): Promise<void> {
  const want = ['batch-index:msec,', '{test}-read:msec,', '{test}-write:msec,'];
  let latencies = '';
  for (let i = 0; i < WARM_UP_ROUNDS; i++) {
    for (let dump = 0; dump < 2; dump++) {
      const digest = computeDigest('corpus_warmup', 3, Buffer.from(String(i)));
      const c = node.connect();
      try {
        await c.exchange(encodePut('test', 'corpus_warmup', digest, [{ name: 'n', type: 1, value: Buffer.from([0, 0, 0, 0, 0, 0, 0, i]) }]));
        await c.exchange(encodeGet('test', 'corpus_warmup', digest));
        // two rows: a batch of one key is a batch too, but keep the recording's shape
        await c.exchange(encodeBatchGet('test', 'corpus_warmup', [digest, computeDigest('corpus_warmup', 3, Buffer.from('-1'))]));
      } finally {
        c.close();
      }
      // what the node's 1 s ticker does: the histograms' slice ends
      node.advance(1000);
      node.node.latency.dumpActive();
    }
    latencies = await node.info('latencies:');
    if (want.every((w) => latencies.includes(w))) return;
  }
  throw new Error(`latency histograms not filled: ${latencies}`);
}

/** Longest a recorded pause waits for the node's background work (jobs, index population) to finish. */
const QUIET_DEADLINE_MS = 10_000;

/**
 * An in-process node as a replay target: a recorded pause moves the node's clock by its length (a
 * TTL passing) and waits only until the node's own background work, which the pause gave time to,
 * is done: no scan/query job still running, every secondary index readable.
 */
function inProcessTarget(node: InProcessNode): ReplayTarget {
  const quiet = (): boolean => node.node.jobs.all().every((j) => j.status !== 'active') && [...node.node.namespaces.keys()].every((ns) => node.node.sindexes.forNamespace(ns)?.all().every((si) => si.readable) ?? true);
  return {
    connect(): ReplayConnection {
      const c = node.connect();
      return {
        get closed() {
          return c.closed;
        },
        async exchange(req) {
          // the node is done with a request once the connection settles: no timeout to wait out
          const r = await c.exchange(req);
          return answerOf(r.received, r.closed);
        },
        close: () => c.close(),
      };
    },
    async pause(ms) {
      node.advance(ms);
      const deadline = Date.now() + QUIET_DEADLINE_MS;
      while (!quiet()) {
        if (Date.now() > deadline) throw new Error(`the node's jobs or indexes did not finish within ${QUIET_DEADLINE_MS} ms`);
        await new Promise((r) => setTimeout(r, 1));
      }
    },
    nowSec: () => Math.round(node.nowMs() / 1000),
  };
}

/** Replays one corpus file; `out` lists every mismatch with its reason (shown when the test fails). */
async function replay(target: number | ReplayTarget, file: string): Promise<{ out: string; mismatched: Set<string> }> {
  const report = await replayCorpusFile(target, join(CORPUS, file));
  const out = report.mismatches.map((m) => `${m.status.toUpperCase()} ${file} ${m.id}: ${m.desc}\n    ${m.why}`).join('\n');
  return { out: `${out}\n${report.matched} matched, ${report.mismatches.length} mismatched`, mismatched: new Set(report.mismatches.map((m) => m.id)) };
}

function check(file: string, out: string, mismatched: Set<string>): void {
  const unexpected = [...mismatched].filter((s) => !(s in KNOWN_GAPS[file]!));
  assert.deepEqual(unexpected, [], out.slice(-6000));
  const fixed = Object.keys(KNOWN_GAPS[file]!).filter((s) => !mismatched.has(s));
  assert.deepEqual(fixed, [], 'these steps now match: remove them from KNOWN_GAPS');
}

for (const file of Object.keys(KNOWN_GAPS)) {
  const setup = SETUP[file];
  test(`corpus ${file} replays with no mismatch beyond the documented gaps`, async () => {
    const node = await InProcessNode.start({ config: setup?.config ?? CORPUS_CONFIG, clock: 'running' });
    try {
      await setup?.before(node);
      const { out, mismatched } = await replay(inProcessTarget(node), file);
      check(file, out, mismatched);
    } finally {
      await node.stop();
    }
  });
}
