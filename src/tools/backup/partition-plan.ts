/**
 * How asbackup divides the 4096 partitions into jobs (backup.c start_backup): one partition
 * range is cut into --parallel equal slices; a --partition-list or --after-digest gives one job
 * per filter and the workers share them. A resumed backup narrows every job to what the state
 * file says is left.
 */
import { UsageError } from '../cli-args.js';
import type { BackupState } from './state-file.js';
import { N_PARTITIONS, partitionOf } from '../../util/digest.js';

/** One partition's scan position inside a job. */
export interface PartitionCursor {
  pid: number;
  /** resume strictly after this digest */
  after?: Buffer;
  done: boolean;
}

export type PartitionFilter = { kind: 'range'; begin: number; count: number } | { kind: 'digest'; digest: Buffer };

/** `<begin>[-<count>]|<base64 digest>,...` (backup_status.c parse_partition_list). */
export function parsePartitionList(s: string): PartitionFilter[] {
  if (s.length === 0) throw new UsageError('Empty partition list');
  const filters = s.split(',').map((item): PartitionFilter => {
    const m = /^(\d+)(?:-(\d+))?$/.exec(item);
    if (m) {
      const begin = Number(m[1]);
      const count = m[2] !== undefined ? Number(m[2]) : 1;
      if (begin < N_PARTITIONS && begin + count <= N_PARTITIONS) return { kind: 'range', begin, count };
    }
    const d = parseDigest(item);
    if (d) return { kind: 'digest', digest: d };
    throw new UsageError(
      `Invalid partition filter '${item}'\nformat: <filter1>[,<filter2>][,...]\nfilter: <begin partition>[-<partition count>]|<digest>\n` +
        'begin partition: 0-4095\npartition count: 1-4096 Default: 1\ndigest: base64 encoded string',
    );
  });
  // overlapping filters would back a partition up twice
  const seen = new Set<number>();
  for (const f of filters) {
    for (const pid of pidsOf(f)) {
      if (seen.has(pid)) throw new UsageError(`Range overlap in partition list '${s}'`);
      seen.add(pid);
    }
  }
  return filters;
}

/** --after-digest: the digest's partition after it, then every later partition. */
export function parseAfterDigest(s: string): PartitionFilter[] {
  const d = parseDigest(s);
  if (!d) throw new UsageError(`Error while parsing after-digest '${s}'`);
  const out: PartitionFilter[] = [{ kind: 'digest', digest: d }];
  const next = partitionOf(d) + 1;
  if (next < N_PARTITIONS) out.push({ kind: 'range', begin: next, count: N_PARTITIONS - next });
  return out;
}

function parseDigest(s: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) return undefined;
  const d = Buffer.from(s, 'base64');
  return d.length === 20 ? d : undefined;
}

function pidsOf(f: PartitionFilter): number[] {
  if (f.kind === 'digest') return [partitionOf(f.digest)];
  return Array.from({ length: f.count }, (_, i) => f.begin + i);
}

function cursorsOf(f: PartitionFilter): PartitionCursor[] {
  if (f.kind === 'digest') return [{ pid: partitionOf(f.digest), after: f.digest, done: false }];
  return pidsOf(f).map((pid) => ({ pid, done: false }));
}

export interface JobPlan {
  jobs: PartitionCursor[][];
  /** workers to run: never more than there are jobs */
  workers: number;
  /** a message for the log when --parallel had to be lowered */
  warning?: string;
}

/** Splits the filters into jobs for `parallel` workers, as asbackup does. */
export function planJobs(filters: PartitionFilter[] | undefined, parallel: number): JobPlan {
  const list = filters && filters.length > 0 ? filters : [{ kind: 'range', begin: 0, count: N_PARTITIONS } as PartitionFilter];
  let workers = parallel;
  let warning: string | undefined;
  if (list.length === 1) {
    const f = list[0]!;
    if (f.kind === 'digest') return { jobs: [cursorsOf(f)], workers: 1 };
    if (workers > f.count) {
      warning = `Warning: --parallel ${workers} is higher than the number of partitions being backed up (${f.count}), setting number of threads to ${f.count}.`;
      workers = f.count;
    }
    const jobs: PartitionCursor[][] = [];
    for (let i = 0; i < workers; i++) {
      const begin = f.begin + Math.floor((f.count * i) / workers);
      const end = f.begin + Math.floor((f.count * (i + 1)) / workers);
      jobs.push(cursorsOf({ kind: 'range', begin, count: end - begin }));
    }
    return warning ? { jobs, workers, warning } : { jobs, workers };
  }
  if (workers > list.length) {
    warning = `Warning: --parallel ${workers} is higher than the number of partition filters given (${list.length}), setting number of threads to ${list.length}.`;
    workers = list.length;
  }
  const jobs = list.map(cursorsOf);
  return warning ? { jobs, workers, warning } : { jobs, workers };
}

/**
 * Narrows jobs to what a state file says remains. Throws when the state does not cover exactly
 * the partitions these arguments select (a --continue with different arguments).
 */
export function applyState(jobs: PartitionCursor[][], state: BackupState): void {
  const covered = new Set<number>();
  for (const job of jobs) {
    for (const c of job) {
      const st = state.partitions.get(c.pid);
      if (!st) throw new Error(`Partition ${c.pid} was not saved in the backup state file`);
      covered.add(c.pid);
      if (st.state === 'done') c.done = true;
      else if (st.after) c.after = st.after;
    }
  }
  for (const pid of state.partitions.keys()) {
    if (!covered.has(pid)) throw new Error(`Error while narrowing partition filters from backup state file: partition ${pid} was not covered by any partition range`);
  }
}

/** The state to save for jobs as they stand. */
export function stateOfJobs(jobs: PartitionCursor[][]): BackupState['partitions'] {
  const m: BackupState['partitions'] = new Map();
  for (const job of jobs) {
    for (const c of job) {
      if (c.done) m.set(c.pid, { state: 'done' });
      else if (c.after) m.set(c.pid, { state: 'partial', after: c.after });
      else m.set(c.pid, { state: 'todo' });
    }
  }
  return m;
}

/**
 * Splits every job by the node its partitions are scanned on and interleaves the pieces node by
 * node, so workers taking jobs in order work on different nodes at once. The cursors are shared
 * with `jobs`, which stay the unit the state file is saved from. One node: the jobs unchanged.
 */
export function splitJobsByNode(jobs: PartitionCursor[][], nodeOf: (pid: number) => string): PartitionCursor[][] {
  const perNode = new Map<string, PartitionCursor[][]>();
  for (const job of jobs) {
    const pieces = new Map<string, PartitionCursor[]>();
    for (const c of job) {
      const node = nodeOf(c.pid);
      let piece = pieces.get(node);
      if (!piece) pieces.set(node, (piece = []));
      piece.push(c);
    }
    for (const [node, piece] of pieces) {
      let list = perNode.get(node);
      if (!list) perNode.set(node, (list = []));
      list.push(piece);
    }
  }
  const lists = [...perNode.values()];
  const out: PartitionCursor[][] = [];
  for (let round = 0; out.length < lists.reduce((n, l) => n + l.length, 0); round++) {
    for (const l of lists) if (round < l.length) out.push(l[round]!);
  }
  return out;
}
