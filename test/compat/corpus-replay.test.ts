/**
 * Replays the exchanges recorded against a real Aerospike 8.1.2 server (test/fixtures/corpus) with
 * the project's replayer (test/helpers/corpus-replayer.ts) and compares strato's answers byte for
 * byte. Known gaps are listed by step with the reason, so a regression fails the test and a fix
 * shows up as a step to remove from the list.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startStrato } from '../helpers/strato-process.js';
import { CORPUS } from '../helpers/paths.js';
import { replayCorpusFile } from '../helpers/corpus-replayer.js';


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
};

/** Replays one corpus file; `out` lists every mismatch with its reason (shown when the test fails). */
async function replay(port: number, file: string): Promise<{ out: string; mismatched: Set<string> }> {
  const report = await replayCorpusFile(port, join(CORPUS, file));
  const out = report.mismatches.map((m) => `${m.status.toUpperCase()} ${file} ${m.id}: ${m.desc}\n    ${m.why}`).join('\n');
  return { out: `${out}\n${report.matched} matched, ${report.mismatches.length} mismatched`, mismatched: new Set(report.mismatches.map((m) => m.id)) };
}

for (const file of Object.keys(KNOWN_GAPS)) {
  test(`corpus ${file} replays with no mismatch beyond the documented gaps`, async () => {
    const server = await startStrato({ config: CORPUS_CONFIG });
    try {
      const { out, mismatched } = await replay(server.port, file);
      const unexpected = [...mismatched].filter((s) => !(s in KNOWN_GAPS[file]!));
      assert.deepEqual(unexpected, [], out.slice(-6000));
      const fixed = Object.keys(KNOWN_GAPS[file]!).filter((s) => !mismatched.has(s));
      assert.deepEqual(fixed, [], 'these steps now match: remove them from KNOWN_GAPS');
    } finally {
      await server.stop();
    }
  });
}
