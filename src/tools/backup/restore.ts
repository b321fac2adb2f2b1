/**
 * asrestore: reads backup files (--parallel files at a time, each worker filling its own batch of
 * --batch-size records) and writes them through the RestoreWriter. Indexes and UDF modules are
 * recreated with info commands as they are met; records that expired, lost every bin to
 * --bin-list or are outside --set-list are counted and skipped.
 */
import { accessSync, constants, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { WriteRecord } from '../../client/write-request.js';
import { partitionOf } from '../../util/digest.js';
import { connectCluster } from './cluster-connect.js';
import { runTool } from './tool-main.js';
import { BackupFileReader, type InputCodecs } from './file-reader.js';
import { createSIndex, putUdf } from './info-items.js';
import { ProgressReporter, ToolLog } from './progress.js';
import { binToWire, type BackupRecord } from './record.js';
import { RESTORE_USAGE, parseRestoreArgs, type RestoreConfig } from './restore-args.js';
import { RestoreWriter } from './restore-writer.js';
import { BackupParseError } from './text-decoder.js';
import { TOOL_VERSION } from './backup.js';

/** Runs asrestore with `argv` (options only); resolves with the exit code. */
export function runAsrestore(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return runTool({ usage: RESTORE_USAGE, version: TOOL_VERSION.replace('asbackup', 'asrestore'), parse: parseRestoreArgs, run: restore }, argv, env);
}

const CITRUSLEAF_EPOCH_SEC = 1262304000;

interface Counts {
  records: number;
  expired: number;
  skipped: number;
  ignored: number;
  indexes: number;
  udfs: number;
}

/** The record_ttl to write: -1 (never) for void-time 0, else what is left (+ extra), or undefined when expired. */
export function ttlFor(voidTime: number, extraTtl: number, nowClSec: number): number | undefined {
  if (voidTime === 0) return 0xffffffff;
  const v = voidTime + extraTtl;
  if (nowClSec >= v) return undefined;
  return v - nowClSec;
}

/** Said when a file's first line is not a backup header. */
export const UNREADABLE_HINT =
  'The file does not start as a backup does (Version 3.1): it is not an asbackup file, or it was written with --compress/--encrypt and needs the same options here (an encrypted file read with a wrong key reads as garbage)';

/** Names a missing, unreadable or wrong-kind input file plainly, before any connection is made. */
function checkReadable(file: string): void {
  if (file === '-') return;
  if (!existsSync(file)) throw new Error(`Backup file ${file} does not exist`);
  if (statSync(file).isDirectory()) throw new Error(`Backup file ${file} is a directory (use -d to restore a directory of backup files)`);
  try {
    accessSync(file, constants.R_OK);
  } catch {
    throw new Error(`Backup file ${file} cannot be read (permission denied)`);
  }
}

function listBackupFiles(dir: string): string[] {
  if (!existsSync(dir)) throw new Error(`Error while opening directory ${dir}: it does not exist`);
  if (!statSync(dir).isDirectory()) throw new Error(`Error while opening directory ${dir}: it is a file (use -i for one backup file)`);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.asb'))
    .sort()
    .map((f) => join(dir, f));
  if (files.length === 0) throw new Error(`No backup files found in ${dir}`);
  return files;
}

async function restore(cfg: RestoreConfig, log: ToolLog): Promise<number> {
  const files = cfg.directory !== undefined ? listBackupFiles(cfg.directory) : [cfg.inputFile!];
  for (const f of files) checkReadable(f);
  const estimatedBytes = files.reduce((n, f) => n + (f === '-' ? 0 : statSync(f).size), 0);
  const codecs: InputCodecs = { zstd: cfg.compress };
  if (cfg.encrypt) codecs.encryption = cfg.encrypt;
  const { map, seed, conn } = await connectCluster(cfg.hosts, log);
  const { host, port } = seed;
  const workers = Math.min(cfg.parallel, files.length);
  const writer = new RestoreWriter({
    // each record to its partition's master
    router: { nodeFor: (r) => map.nodeFor(r.namespace, partitionOf(r.digest)), refresh: () => map.refresh() },
    policy: { createOnly: cfg.unique, replace: cfg.replace, generationGt: !cfg.noGeneration },
    batchWrites: !cfg.disableBatchWrites,
    batchSize: cfg.batchSize,
    maxAsyncBatches: cfg.maxAsyncBatches,
    socketTimeoutMs: cfg.socketTimeoutMs,
    totalTimeoutMs: cfg.totalTimeoutMs > 0 ? cfg.totalTimeoutMs : cfg.timeoutMs,
    maxRetries: cfg.maxRetries,
    ignoreRecordError: cfg.ignoreRecordError,
    log: (m) => log.info(m),
  });
  const counts: Counts = { records: 0, expired: 0, skipped: 0, ignored: 0, indexes: 0, udfs: 0 };
  const readers = new Set<BackupFileReader>();
  let doneBytes = 0;
  const progress = new ProgressReporter(log, () => {
    let bytes = doneBytes;
    for (const r of readers) bytes += r.rawBytesRead;
    return { records: counts.records, bytes, expectedRecords: 0, expectedBytes: estimatedBytes };
  });
  let failure: Error | undefined;
  const stop = new AbortController();
  const onSignal = () => {
    log.info('### Restore interrupted ###');
    failure ??= new Error('interrupted');
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const startMs = Date.now();
  try {
    const namespaces = ((await conn.info(['namespaces'])).get('namespaces') ?? '').split(';');
    log.info(`Starting restore to ${host}:${port} (bins: ${cfg.binList ? cfg.binList.join(',') : '[all]'}, sets: ${cfg.setList ? cfg.setList.join(',') : '[all]'}) from ${cfg.directory ?? cfg.inputFile}`);
    const target = cfg.namespaceDst ?? cfg.namespaceSrc;
    if (target !== undefined && !namespaces.includes(target)) throw new Error(`Namespace ${target} does not exist`);
    log.info(`Restoring ${files.length} backup file(s) with ${workers} worker(s)`);
    const queue = [...files];
    const nowCl = () => Math.floor(Date.now() / 1000) - CITRUSLEAF_EPOCH_SEC;
    const worker = async () => {
      let batch: WriteRecord[] = [];
      const flush = async () => {
        const b = batch;
        batch = [];
        await writer.submit(b);
      };
      for (let path = queue.shift(); path !== undefined && !stop.signal.aborted; path = queue.shift()) {
        const reader = new BackupFileReader(path, codecs);
        readers.add(reader);
        try {
          const header = await reader.open();
          log.verb(`Opened backup file ${path}`);
          if (cfg.namespaceSrc !== undefined && cfg.namespaceDst !== undefined && header.namespace !== undefined && header.namespace !== cfg.namespaceSrc) {
            throw new Error(`Invalid namespace ${header.namespace} in backup file ${path} (expected: ${cfg.namespaceSrc})`);
          }
          for (;;) {
            if (stop.signal.aborted) break;
            const itemLine = reader.line;
            const item = await reader.next(cfg.ignoreRecordError, ({ error }) => {
              counts.ignored++;
              log.error(`Skipping malformed record: ${error.message}`);
            });
            if (!item) break;
            if (item.kind === 'sindex') {
              if (cfg.noIndexes) continue;
              const target = cfg.namespaceDst !== undefined && item.namespace === cfg.namespaceSrc ? cfg.namespaceDst : item.namespace;
              if (cfg.setList && item.set !== '' && !cfg.setList.includes(item.set)) continue;
              await createSIndex(conn, item, target);
              counts.indexes++;
              continue;
            }
            if (item.kind === 'udf') {
              if (cfg.noUdfs) continue;
              await putUdf(conn, item);
              counts.udfs++;
              continue;
            }
            // records come last in a file: with --no-records the rest of the file is not read
            if (cfg.noRecords) break;
            if (cfg.namespaceSrc !== undefined && item.namespace !== cfg.namespaceSrc) {
              throw new BackupParseError(`${path}:${itemLine}: invalid namespace ${item.namespace} in backup record, expected: ${cfg.namespaceSrc}`, itemLine);
            }
            counts.records++;
            const w = toWrite(item, cfg, nowCl(), counts);
            if (!w) continue;
            batch.push(w);
            if (batch.length >= cfg.batchSize) await flush();
            await throttle(cfg, counts.records, readerBytes(readers, doneBytes), startMs);
          }
        } finally {
          doneBytes += reader.rawBytesRead;
          readers.delete(reader);
          await reader.close();
        }
      }
      await flush();
    };
    progress.start();
    await Promise.all(
      Array.from({ length: workers }, () =>
        worker().catch((e: Error) => {
          failure ??= e;
          stop.abort();
        }),
      ),
    );
    try {
      await writer.drain();
    } catch (e) {
      failure ??= e as Error;
    }
  } finally {
    progress.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    writer.close();
    conn.close();
  }
  const c = writer.counters;
  if (map.nodes.length > 1) log.verb(`Inserted per node: ${[...writer.insertedPerNode].map(([ep, n]) => `${ep} ${n}`).join(', ')}`);
  const seconds = Math.max(0.001, (Date.now() - startMs) / 1000);
  if (failure) {
    const f = failure as Error;
    if (f instanceof BackupParseError) {
      log.error(`Error while parsing backup file ${f.message}`);
      // a header that does not parse is most often not a backup, or one read with the wrong codec/key
      if (f.line <= 1) log.error(UNREADABLE_HINT);
    }
    else log.error(f.message);
  }
  log.info(
    `${counts.udfs} UDF file(s), ${counts.indexes} secondary index(es), ${counts.records} record(s) (${Math.round(counts.records / seconds)} rec/s, ${Math.round(
      doneBytes / 1024 / seconds,
    )} KiB/s, ${counts.records === 0 ? 0 : Math.round(doneBytes / counts.records)} B/rec, retries: ${c.retries})`,
  );
  log.info(
    `Expired ${counts.expired} : skipped ${counts.skipped} : err_ignored ${counts.ignored + c.ignored} : inserted ${c.inserted}: failed ${c.existed + c.fresher} (existed ${c.existed} , fresher ${c.fresher})`,
  );
  log.info(failure ? 'Restore failed' : `Finished restoring ${files.length} backup file(s)`);
  return failure ? 1 : 0;
}

function readerBytes(readers: Set<BackupFileReader>, done: number): number {
  let n = done;
  for (const r of readers) n += r.rawBytesRead;
  return n;
}

/** --nice: waits until records and bytes fit the TPS and bandwidth limits. */
async function throttle(cfg: RestoreConfig, records: number, bytes: number, startMs: number): Promise<void> {
  if (cfg.tps <= 0 && cfg.bandwidthBytes <= 0) return;
  const elapsedMs = Date.now() - startMs;
  const needMs = Math.max(cfg.tps > 0 ? (records * 1000) / cfg.tps : 0, cfg.bandwidthBytes > 0 ? (bytes * 1000) / cfg.bandwidthBytes : 0);
  if (needMs - elapsedMs > 1) await new Promise((r) => setTimeout(r, needMs - elapsedMs));
}

/** Turns a backup record into a write, or counts why it is skipped. */
function toWrite(rec: BackupRecord, cfg: RestoreConfig, nowCl: number, counts: Counts): WriteRecord | undefined {
  const ttl = ttlFor(rec.voidTime, cfg.extraTtl, nowCl);
  if (ttl === undefined) {
    counts.expired++;
    return undefined;
  }
  const bins = cfg.binList ? rec.bins.filter((b) => cfg.binList!.includes(b.name)) : rec.bins;
  const set = rec.set ?? '';
  if (bins.length === 0 || (cfg.setList && !cfg.setList.includes(set))) {
    counts.skipped++;
    return undefined;
  }
  const w: WriteRecord = {
    namespace: cfg.namespaceDst ?? rec.namespace,
    set,
    digest: rec.digest,
    bins: bins.map((b) => ({ name: b.name, type: b.type, value: binToWire(b) })),
    generation: rec.generation,
    ttl,
  };
  if (rec.key) w.key = rec.key;
  return w;
}
