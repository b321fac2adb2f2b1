/**
 * asbackup: backs a namespace up into Aerospike's text format. Workers (--parallel) each scan a
 * share of the partitions and stream every record straight into their own file, so memory stays
 * at a constant per worker whatever the namespace holds. A stop before the end (signal,
 * --max-records, an error) saves a state file that `--continue` resumes from.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterMap } from '../../client/cluster-map.js';
import { endpointKey, infoRequest } from '../../client/info-request.js';
import { ScanError, type ScanRecordMessage } from '../../client/scan-stream.js';
import { Particle } from '../../protocol/particle.js';
import { runTool } from './tool-main.js';
import { BACKUP_USAGE, parseBackupArgs, type BackupConfig } from './backup-args.js';
import { DirectoryOutput, NullOutput, SingleFileOutput, type BackupOutput, type OutputSlot } from './backup-output.js';
import type { OutputCodecs } from './file-writer.js';
import { buildFilter } from './filter-exp.js';
import { listSIndexes, listUdfs } from './info-items.js';
import { connectCluster } from './cluster-connect.js';
import { applyState, parseAfterDigest, parsePartitionList, planJobs, splitJobsByNode, stateOfJobs, type PartitionCursor } from './partition-plan.js';
import { ProgressReporter, ToolLog } from './progress.js';
import { binFromWire, type BackupRecord } from './record.js';
import { RecordBudget, scanJob, type ScanRouter } from './scan-driver.js';
import { loadState, saveState, type BackupState } from './state-file.js';
import { ByteWriter, encodeRecord, encodeSIndex, encodeUdf } from './text-encoder.js';
import { createZstdCompressor } from './zstd.js';

export const TOOL_VERSION = 'asbackup (Strato) 3.1';

/** Runs asbackup with `argv` (options only); resolves with the exit code. */
export function runAsbackup(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return runTool({ usage: BACKUP_USAGE, version: TOOL_VERSION, parse: parseBackupArgs, run: backup }, argv, env);
}

/**
 * Records the backup will see: every node's `objects` summed, divided by the replication factor
 * (each record is held that many times across the cluster).
 */
async function countRecords(map: ClusterMap, ns: string, sets: string[]): Promise<number> {
  const cmd = `namespace/${ns}`;
  const answers = await Promise.all(map.nodes.map((n) => infoRequest(n, [cmd, 'sets'], 10_000)));
  const num = (text: string, key: string) => {
    const m = new RegExp(`(?:^|[;:])${key}=(\\d+)`).exec(text);
    return m ? Number(m[1]) : undefined;
  };
  const factor = Math.max(1, num(answers[0]!.get(cmd) ?? '', 'effective_replication_factor') ?? 1);
  let n = 0;
  for (const stats of answers) {
    if (sets.length === 0) {
      n += num(stats.get(cmd) ?? '', 'objects') ?? 0;
      continue;
    }
    for (const entry of (stats.get('sets') ?? '').split(';')) {
      const nsOf = /(?:^|:)(?:ns|ns_name)=([^:]+)/.exec(entry)?.[1];
      const setOf = /(?:^|:)(?:set|set_name)=([^:]+)/.exec(entry)?.[1];
      if (nsOf === ns && setOf !== undefined && sets.includes(setOf)) n += num(entry, 'objects') ?? num(entry, 'n_objects') ?? 0;
    }
  }
  return Math.floor(n / factor);
}

/** Scans each partition on its master; a retry asks the cluster again where partitions are. */
function clusterRouter(map: ClusterMap, namespace: string): ScanRouter {
  return {
    route: (cursors) =>
      map.group(namespace, cursors, (c) => c.pid).map((g) => ({ host: g.node.host, port: g.node.port, tlsName: g.node.tlsName, label: `node ${g.node.id} (${endpointKey(g.node)})`, cursors: g.items })),
    refresh: () => map.refresh(),
  };
}

/** The default state file location (file_proxy.c gen_backup_state_file_path). */
export function stateFilePath(cfg: BackupConfig): string {
  const prefix = cfg.prefix ?? cfg.namespace;
  if (cfg.stateFileDst !== undefined) {
    if (existsSync(cfg.stateFileDst) && statSync(cfg.stateFileDst).isDirectory()) return join(cfg.stateFileDst, `${prefix}.asb.state`);
    return cfg.stateFileDst;
  }
  if (cfg.directory !== undefined) return join(cfg.directory, `${prefix}.asb.state`);
  if (cfg.outputFile === '-' || cfg.outputFile === undefined) return `${prefix}.asb.state`;
  return `${cfg.outputFile}.state`;
}

function toBackupRecord(m: ScanRecordMessage, warnKey: (t: number) => void): BackupRecord {
  const rec: BackupRecord = {
    kind: 'record',
    namespace: m.namespace,
    digest: m.digest,
    generation: m.generation,
    voidTime: m.voidTime,
    bins: m.bins.map((b) => binFromWire(b.name, b.type, b.value)),
  };
  if (m.set !== undefined) rec.set = m.set;
  if (m.key) {
    const t = m.key.type;
    const ok = t === Particle.INTEGER || t === Particle.FLOAT || t === Particle.STRING || t === Particle.BLOB || (t >= 7 && t <= 12);
    // integer and double keys must be 8 bytes to be written as numbers
    if (ok && !((t === Particle.INTEGER || t === Particle.FLOAT) && m.key.value.length !== 8)) rec.key = m.key;
    else warnKey(t);
  }
  return rec;
}

function prepareDirectory(cfg: BackupConfig, log: ToolLog): void {
  const dir = cfg.directory!;
  if (!existsSync(dir)) {
    log.info(`Directory ${dir} does not exist, creating`);
    mkdirSync(dir, { recursive: true });
    return;
  }
  const existing = readdirSync(dir).filter((f) => f.endsWith('.asb'));
  if (existing.length === 0) return;
  if (cfg.removeFiles) {
    for (const f of existing) unlinkSync(join(dir, f));
    const st = stateFilePath(cfg);
    if (existsSync(st)) rmSync(st);
    log.verb(`removed ${existing.length} existing backup file(s)`);
    return;
  }
  if (cfg.continueState === undefined) {
    throw new Error(`Directory ${dir} already contains ${existing.length} backup file(s); use -r to remove them or --continue to resume`);
  }
}

function prepareOutputFile(cfg: BackupConfig): void {
  const f = cfg.outputFile!;
  if (f === '-' || !existsSync(f) || cfg.continueState !== undefined) return;
  if (!cfg.removeFiles) throw new Error(`Output file ${f} already exists; use -r to remove`);
  rmSync(f);
}

/** z for a one-sided 99.9999% upper confidence bound, as asbackup's show_estimate uses. */
const Z_999999 = 4.753424;

async function backup(cfg: BackupConfig, log: ToolLog): Promise<number> {
  const codecs: OutputCodecs = {};
  if (cfg.compress) codecs.compressor = await createZstdCompressor(cfg.compressionLevel);
  if (cfg.encrypt) codecs.encryption = cfg.encrypt;

  const target = cfg.estimate ? 'estimate' : cfg.directory !== undefined ? `directory ${cfg.directory}` : `file ${cfg.outputFile === '-' ? 'stdout' : cfg.outputFile}`;
  const { map, seed, conn } = await connectCluster(cfg.hosts, log);
  const { host, port } = seed;
  let output: BackupOutput | undefined;
  try {
    const namespaces = ((await conn.info(['namespaces'])).get('namespaces') ?? '').split(';');
    if (!namespaces.includes(cfg.namespace)) throw new Error(`Namespace ${cfg.namespace} does not exist`);
    log.info(
      `Starting backup of ${host}:${port} (namespace: ${cfg.namespace}, set: [${cfg.sets.join(', ')}], bins: ${cfg.binList ? `[${cfg.binList.join(', ')}]` : '[all]'}, limit: ${cfg.maxRecords}) to ${target}`,
    );
    const total = await countRecords(map, cfg.namespace, cfg.sets);
    log.info(cfg.sets.length > 0 ? `Set(s) ${cfg.sets.join(',')} contain ${total} record(s)` : `Namespace ${cfg.namespace} contains ${total} record(s)`);

    const filter = cfg.filterExp ?? buildFilter(cfg);
    const singleSet = cfg.sets.length === 1 ? cfg.sets[0] : undefined;
    const filters = cfg.partitionList !== undefined ? parsePartitionList(cfg.partitionList) : cfg.afterDigest !== undefined ? parseAfterDigest(cfg.afterDigest) : undefined;
    const plan = planJobs(filters, cfg.estimate ? 1 : cfg.parallel || 1);
    if (plan.warning) log.info(plan.warning);

    let state: BackupState | undefined;
    if (cfg.continueState !== undefined) {
      state = loadState(cfg.continueState);
      if (state.namespace !== cfg.namespace) throw new Error(`The state file is for namespace ${state.namespace}, not ${cfg.namespace}`);
      applyState(plan.jobs, state);
      log.info(`Resuming backup from ${cfg.continueState}: ${state.recordsTotal} record(s) already backed up`);
    }

    let budgetRecords = cfg.estimate ? cfg.estimateSamples : cfg.maxRecords > 0 ? cfg.maxRecords : Infinity;
    if (state && cfg.maxRecords > 0) {
      if (cfg.maxRecords < state.recordsTotal) {
        throw new Error(`Continuing backup with ${state.recordsTotal} records already backed up, but --max-records set to ${cfg.maxRecords}`);
      }
      budgetRecords = cfg.maxRecords - state.recordsTotal;
    }
    const budget = new RecordBudget(budgetRecords);
    const expected = Math.min(total, Number.isFinite(budgetRecords) ? budgetRecords + (state?.recordsTotal ?? 0) : total);

    if (cfg.directory !== undefined) {
      prepareDirectory(cfg, log);
      output = new DirectoryOutput(cfg.directory, cfg.prefix ?? cfg.namespace, cfg.namespace, cfg.fileLimitBytes, codecs, state?.filesCreated ?? 0, state !== undefined, (p) =>
        log.verb(`Opened backup file ${p}`),
      );
    } else if (cfg.outputFile !== undefined) {
      prepareOutputFile(cfg);
      const resume = state ? { encryptedBytes: state.encryption?.encryptedBytes ?? 0, ...(state.encryption ? { iv: Buffer.from(state.encryption.iv, 'hex') } : {}) } : undefined;
      output = new SingleFileOutput(cfg.outputFile, cfg.namespace, codecs, resume);
    } else output = new NullOutput();

    const slots: OutputSlot[] = [];
    for (let i = 0; i < plan.workers; i++) slots.push(output.slot(i));

    // one-shot work, in the first file only: secondary indexes then UDF modules
    const w = new ByteWriter();
    let indexCount = 0;
    let udfCount = 0;
    if (!state) {
      if (!cfg.noIndexes) {
        const { kept, skipped } = await listSIndexes(conn, cfg.namespace, cfg.sets);
        log.info(kept.length + skipped === 0 ? 'No secondary indexes' : `Backing up ${kept.length} secondary index(es)`);
        if (skipped > 0) log.info(`Skipped ${skipped} index(es): unwanted set(s) or expression indexes the format cannot hold`);
        for (const ix of kept) {
          w.reset();
          encodeSIndex(w, ix);
          slots[0]!.writeGlobal(Buffer.from(w.view()));
        }
        indexCount = kept.length;
      }
      if (!cfg.noUdfs) {
        const udfs = await listUdfs(conn);
        log.info(`Backing up ${udfs.length} UDF file(s)`);
        for (const u of udfs) {
          w.reset();
          encodeUdf(w, u);
          slots[0]!.writeGlobal(Buffer.from(w.view()));
        }
        udfCount = udfs.length;
      }
    }

    // the scans
    const stop = new AbortController();
    let interrupted = false;
    const onSignal = (sig: string) => {
      if (interrupted) return;
      interrupted = true;
      log.info(`### Backup interrupted (${sig}) ###`);
      stop.abort();
    };
    const sigint = () => onSignal('SIGINT');
    const sigterm = () => onSignal('SIGTERM');
    process.on('SIGINT', sigint);
    process.on('SIGTERM', sigterm);

    let records = 0;
    const samples: number[] = [];
    const baseRecords = state?.recordsTotal ?? 0;
    const baseBytes = state?.bytesTotal ?? 0;
    const progress = new ProgressReporter(log, () => ({ records: baseRecords + records, bytes: baseBytes + output!.bytes(), expectedRecords: expected }));
    const startMs = Date.now();
    let warnedKey = false;
    const warnKey = (t: number) => {
      if (!warnedKey) log.info(`Warning: a record's user key has particle type ${t}, which a backup cannot hold; backing it up by digest only`);
      warnedKey = true;
    };
    // pieces of the planned jobs, one node each, so the workers spread over the nodes
    const queue = splitJobsByNode(plan.jobs, (pid) => map.nodeFor(cfg.namespace, pid).id);
    if (map.nodes.length > 1) log.verb(`Backing up from ${map.describe(cfg.namespace)}`);
    const router = clusterRouter(map, cfg.namespace);
    let failure: Error | undefined;
    const worker = async (i: number) => {
      const slot = slots[i]!;
      const enc = new ByteWriter();
      for (let job = queue.shift(); job && !stop.signal.aborted; job = queue.shift()) {
        if (cfg.noRecords) continue;
        log.verb(`Starting backup for ${describeJob(job)}${map.nodes.length > 1 ? ` on node ${map.nodeFor(cfg.namespace, job[0]!.pid).id}` : ''}`);
        await scanJob(
          job,
          {
            router,
            namespace: cfg.namespace,
            ...(singleSet ? { set: singleSet } : {}),
            ...(cfg.binList ? { binNames: cfg.binList } : {}),
            noBins: cfg.noBins,
            ...(filter ? { filter } : {}),
            recordsPerSecond: cfg.recordsPerSecond > 0 ? Math.max(1, Math.floor(cfg.recordsPerSecond / plan.workers)) : 0,
            socketTimeoutMs: cfg.socketTimeoutMs,
            totalTimeoutMs: cfg.totalTimeoutMs,
            maxRetries: cfg.maxRetries,
            retryDelayMs: cfg.retryDelayMs,
            signal: stop.signal,
            budget,
            log: (m) => log.info(m),
          },
          (m) => {
            const rec = toBackupRecord(m, warnKey);
            enc.reset();
            encodeRecord(enc, rec, cfg.compact);
            const bytes = enc.view();
            slot.writeRecord(bytes);
            records++;
            if (cfg.estimate) samples.push(bytes.length);
            if (cfg.bandwidthBytes > 0) {
              // --nice: sleep until the bytes written fit the bandwidth
              const aheadMs = ((output!.bytes() - baseBytes) * 1000) / cfg.bandwidthBytes - (Date.now() - startMs);
              if (aheadMs > 5) return new Promise<void>((r) => setTimeout(r, aheadMs));
            }
            return undefined;
          },
        );
      }
    };
    progress.start();
    await Promise.allSettled(
      slots.map((_, i) =>
        worker(i).catch((e: Error) => {
          failure ??=
            e instanceof ScanError && e.resultCode === 16 && filter
              ? new Error(
                  `${e.message}: the server does not support filter expressions, which several --set names, --modified-after, --modified-before, --no-ttl-only and --filter-exp need`,
                )
              : e;
          stop.abort();
          throw e;
        }),
      ),
    );
    progress.stop();
    process.off('SIGINT', sigint);
    process.off('SIGTERM', sigterm);
    for (const s of slots) s.close();
    output.close();

    if (cfg.estimate) {
      showEstimate(log, samples, total, output.bytes());
      return failure ? 1 : 0;
    }

    const complete = plan.jobs.every((j) => j.every((c) => c.done)) || cfg.noRecords;
    const bytesTotal = baseBytes + output.bytes();
    const recordsTotal = baseRecords + records;
    const stPath = stateFilePath(cfg);
    if (!complete) {
      if (cfg.outputFile === '-') {
        log.error('The backup to standard output stopped before it was complete and cannot be continued');
      } else {
        const st: BackupState = {
          namespace: cfg.namespace,
          recordsTotal,
          bytesTotal,
          filesCreated: output.fileCount(),
          partitions: stateOfJobs(plan.jobs),
        };
        if (cfg.directory !== undefined) st.directory = cfg.directory;
        if (cfg.outputFile !== undefined) {
          st.outputFile = cfg.outputFile;
          const pos = (output as SingleFileOutput).writer.position();
          if (pos.iv) st.encryption = { iv: pos.iv, encryptedBytes: pos.encryptedBytes };
        }
        saveState(stPath, st);
        log.info(`Backup was interrupted, to resume, run backup with \`--continue ${stPath}\` and all the same arguments (except --remove-files)`);
      }
    } else if (cfg.continueState !== undefined && existsSync(cfg.continueState)) {
      rmSync(cfg.continueState);
    }
    if (failure) log.error(`Error while running backup: ${failure.message}`);
    log.info(
      `Backed up ${recordsTotal} record(s), ${indexCount} secondary index(es), ${udfCount} UDF file(s), ${bytesTotal} byte(s) in total (~${recordsTotal === 0 ? 0 : Math.floor(bytesTotal / recordsTotal)} B/rec)`,
    );
    const seconds = (Date.now() - startMs) / 1000;
    log.verb(`${records} record(s) in ${seconds.toFixed(1)} s`);
    return failure || interrupted ? 1 : 0;
  } finally {
    conn.close();
    try {
      output?.close();
    } catch {
      // already reported
    }
  }
}

function describeJob(job: PartitionCursor[]): string {
  if (job.length === 1) return job[0]!.after ? `partition ${job[0]!.pid} after ${job[0]!.after.toString('base64')}` : `partition ${job[0]!.pid}`;
  return `${job.length} partitions from ${job[0]!.pid} to ${job[job.length - 1]!.pid}`;
}

/** Prints the --estimate figures: the average record size and records × average + 10%. */
function showEstimate(log: ToolLog, samples: number[], total: number, headerBytes: number): void {
  const n = samples.length;
  const sum = samples.reduce((a, b) => a + b, 0);
  const mean = n > 0 ? sum / n : 0;
  const variance = n > 1 ? samples.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  const upper = n <= 1 ? Math.ceil(mean) : Math.ceil(mean + Z_999999 * Math.sqrt(variance / n));
  log.info(`Sampled ${n} record(s): average record size is ${Math.ceil(mean)} byte(s)`);
  log.info(`Estimated overall record size is ${upper} byte(s)`);
  const estimate = Math.ceil(total * mean * 1.1);
  log.info(`Estimated total backup size for ${total} record(s): ${estimate} byte(s) (records x average record size + 10%)`);
  void headerBytes;
}
