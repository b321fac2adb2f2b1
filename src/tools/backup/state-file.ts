/**
 * The asbackup state file written when a backup stops before it is complete (interrupted, or
 * --max-records reached) and read by `--continue`. It records, per partition, whether the scan
 * finished it, where to resume it (the digest of the last record written) or that it was never
 * started, plus the counters and output position needed to carry on. Aerospike keeps the same
 * facts in a binary file; this one is JSON, so it is not interchangeable with asbackup's.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { N_PARTITIONS } from '../../util/digest.js';

export const STATE_FORMAT = 'strato-asbackup-state';

export type PartitionStatus =
  | { state: 'done' }
  | { state: 'partial'; after: Buffer }
  | { state: 'todo'; after?: Buffer };

export interface BackupState {
  namespace: string;
  /** 'directory' or 'file' mode, and its target */
  directory?: string;
  outputFile?: string;
  recordsTotal: number;
  bytesTotal: number;
  /** files a directory backup created so far (the next file number) */
  filesCreated: number;
  /** single-file mode: where the encrypted key stream stands */
  encryption?: { iv: string; encryptedBytes: number };
  /** partitions this backup covers, by id */
  partitions: Map<number, PartitionStatus>;
}

interface StateJson {
  format: string;
  version: 1;
  namespace: string;
  directory?: string;
  outputFile?: string;
  recordsTotal: number;
  bytesTotal: number;
  filesCreated: number;
  encryption?: { iv: string; encryptedBytes: number };
  /** [partition id, 'done' | 'partial' | 'todo', base64 digest?] */
  partitions: [number, string, string?][];
}

/** Writes the state atomically (temp file, then rename), so a crash never leaves half a state file. */
export function saveState(path: string, s: BackupState): void {
  const json: StateJson = {
    format: STATE_FORMAT,
    version: 1,
    namespace: s.namespace,
    recordsTotal: s.recordsTotal,
    bytesTotal: s.bytesTotal,
    filesCreated: s.filesCreated,
    partitions: [...s.partitions].sort((a, b) => a[0] - b[0]).map(([pid, st]) => {
      if (st.state === 'done') return [pid, 'done'];
      if (st.after) return [pid, st.state, st.after.toString('base64')];
      return [pid, st.state];
    }),
  };
  if (s.directory !== undefined) json.directory = s.directory;
  if (s.outputFile !== undefined) json.outputFile = s.outputFile;
  if (s.encryption) json.encryption = s.encryption;
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(json) + '\n');
  renameSync(tmp, path);
}

/** Reads a state file; throws with the reason when it is not one this tool wrote. */
export function loadState(path: string): BackupState {
  let json: StateJson;
  try {
    json = JSON.parse(readFileSync(path, 'utf8')) as StateJson;
  } catch (e) {
    throw new Error(`failed to load backup state file ${path}: ${(e as Error).message}`);
  }
  if (json.format !== STATE_FORMAT || json.version !== 1 || !Array.isArray(json.partitions)) {
    throw new Error(`${path} is not an asbackup state file written by this tool`);
  }
  const partitions = new Map<number, PartitionStatus>();
  for (const [pid, st, d] of json.partitions) {
    if (!Number.isInteger(pid) || pid < 0 || pid >= N_PARTITIONS || partitions.has(pid)) throw new Error(`${path}: bad partition ${pid}`);
    const after = d !== undefined ? Buffer.from(d, 'base64') : undefined;
    if (after && after.length !== 20) throw new Error(`${path}: bad digest for partition ${pid}`);
    if (st === 'done') partitions.set(pid, { state: 'done' });
    else if (st === 'partial' && after) partitions.set(pid, { state: 'partial', after });
    else if (st === 'todo') partitions.set(pid, after ? { state: 'todo', after } : { state: 'todo' });
    else throw new Error(`${path}: bad status ${st} for partition ${pid}`);
  }
  const s: BackupState = {
    namespace: json.namespace,
    recordsTotal: json.recordsTotal,
    bytesTotal: json.bytesTotal,
    filesCreated: json.filesCreated,
    partitions,
  };
  if (json.directory !== undefined) s.directory = json.directory;
  if (json.outputFile !== undefined) s.outputFile = json.outputFile;
  if (json.encryption) s.encryption = json.encryption;
  return s;
}
