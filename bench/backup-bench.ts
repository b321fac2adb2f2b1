/**
 * asbackup / asrestore bench: restore and backup throughput for N records of 200 bytes, and each
 * tool's peak RSS (VmHWM from /proc/<pid>/status, sampled while it runs) at --parallel 1, 4 and 16,
 * set against the resource formulas of src/tools/backup/README.md.
 *
 * Environment: BENCH_BACKUP_RECORDS (default 1,000,000), BENCH_BACKUP_RSS_RECORDS (records the
 * memory runs use, default 200,000), BENCH_BACKUP_MAX_SECONDS (cap on any one tool run, default
 * 120; a run that hits it is stopped and reported as such).
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBenchServer } from './strato-server.js';
import { ByteWriter, encodeHeader, encodeRecord } from '../src/tools/backup/text-encoder.js';
import { FILE_BUFFER_BYTES } from '../src/tools/backup/file-writer.js';
import { computeDigest } from '../src/util/digest.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ASBACKUP = join(HERE, '..', '..', 'bin', 'asbackup.js');
const ASRESTORE = join(HERE, '..', '..', 'bin', 'asrestore.js');
const VALUE_BYTES = 200;

interface ToolRun {
  seconds: number;
  peakRssKiB: number;
  code: number | null;
  capped: boolean;
  stderr: string;
}

function vmHwmKiB(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0; // the process already exited
  }
}

/** Runs a tool, sampling its peak RSS every 20 ms until it exits or hits the time cap. */
function runTool(script: string, args: string[], capSeconds: number): Promise<ToolRun> {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let peak = 0;
    let capped = false;
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const sampler = setInterval(() => (peak = Math.max(peak, vmHwmKiB(child.pid!))), 20);
    const cap = setTimeout(() => {
      capped = true;
      child.kill('SIGINT');
    }, capSeconds * 1000);
    child.once('exit', (code) => {
      clearInterval(sampler);
      clearTimeout(cap);
      resolve({ seconds: Number(process.hrtime.bigint() - t0) / 1e9, peakRssKiB: peak, code, capped, stderr });
    });
  });
}

/** Writes N records (integer key, one 200-byte string bin) as one backup file. */
function writeBackupFile(path: string, n: number): void {
  const fd = openSync(path, 'w');
  writeSync(fd, encodeHeader('test', true));
  const w = new ByteWriter(1 << 20);
  const value = Buffer.alloc(VALUE_BYTES, 0x61);
  const kb = Buffer.alloc(8);
  for (let i = 0; i < n; i++) {
    kb.writeBigInt64BE(BigInt(i));
    encodeRecord(
      w,
      { kind: 'record', key: { type: 1, value: Buffer.from(kb) }, namespace: 'test', digest: computeDigest('bench', 1, kb), set: 'bench', generation: 1, voidTime: 0, bins: [{ name: 'v', type: 3, value }] },
      false,
    );
    if (w.pos > (1 << 20) - 4096) {
      writeSync(fd, w.view());
      w.reset();
    }
  }
  writeSync(fd, w.view());
  closeSync(fd);
}

function recordsOf(stderr: string, re: RegExp): number {
  const m = re.exec(stderr);
  return m ? Number(m[1]) : 0;
}

const mib = (kib: number) => (kib / 1024).toFixed(1);

/** Runs the bench, printing as it goes (its phases are long); returns nothing for run.ts to print again. */
export async function runBackupBench(): Promise<string[]> {
  const n = Number(process.env['BENCH_BACKUP_RECORDS'] ?? 1_000_000);
  const rssRecords = Math.min(n, Number(process.env['BENCH_BACKUP_RSS_RECORDS'] ?? 200_000));
  const cap = Number(process.env['BENCH_BACKUP_MAX_SECONDS'] ?? 120);
  const say = (s: string) => console.log(s);
  const work = mkdtempSync(join(tmpdir(), 'backup-bench-'));
  const server = await startBenchServer();
  const host = ['-h', '127.0.0.1', '-p', String(server.port)];
  try {
    const file = join(work, 'bench.asb');
    const tGen = Date.now();
    writeBackupFile(file, n);
    say(`backup bench: ${n} records of ${VALUE_BYTES} bytes (${((Date.now() - tGen) / 1000).toFixed(1)} s to write the input file)`);

    const r = await runTool(ASRESTORE, [...host, '-i', file], cap);
    const restored = recordsOf(r.stderr, /inserted (\d+)/);
    say(`asrestore: ${restored} records in ${r.seconds.toFixed(1)} s = ${Math.round(restored / r.seconds)} records/s, peak RSS ${mib(r.peakRssKiB)} MiB${r.capped ? ' (stopped at the time cap)' : ''}`);

    const b = await runTool(ASBACKUP, [...host, '-n', 'test', '-d', join(work, 'full'), '-w', '4'], cap);
    const backedUp = recordsOf(b.stderr, /Backed up (\d+) record/);
    say(`asbackup -w 4: ${backedUp} records in ${b.seconds.toFixed(1)} s = ${Math.round(backedUp / b.seconds)} records/s, peak RSS ${mib(b.peakRssKiB)} MiB${b.capped ? ' (stopped at the time cap)' : ''}`);
    rmSync(join(work, 'full'), { recursive: true, force: true });

    // memory against --parallel: the formula says a constant per backup worker, and per restore
    // worker a batch of records; neither grows with the number of records
    say(`peak RSS by --parallel (${rssRecords} records each run):`);
    const backupRss: number[] = [];
    for (const p of [1, 4, 16]) {
      const run = await runTool(ASBACKUP, [...host, '-n', 'test', '-d', join(work, `p${p}`), '-w', String(p), '-M', String(rssRecords)], cap);
      backupRss.push(run.peakRssKiB);
      say(`  asbackup -w ${String(p).padStart(2)}: ${mib(run.peakRssKiB)} MiB (${run.seconds.toFixed(1)} s)`);
    }
    const perBackupWorker = (backupRss[2]! - backupRss[0]!) / 15;
    say(
      `  per backup worker: ${perBackupWorker.toFixed(0)} KiB measured; formula: a constant (${FILE_BUFFER_BYTES / 1024} KiB file buffer + at most 256 KiB of scan reply queued + one frame)`,
    );
    const restoreRss: number[] = [];
    const avgRecordBytes = VALUE_BYTES + 90;
    for (const p of [1, 4, 16]) {
      const run = await runTool(ASRESTORE, [...host, '-d', join(work, 'p16'), '-t', String(p), '-g'], cap);
      restoreRss.push(run.peakRssKiB);
      say(`  asrestore -t ${String(p).padStart(2)}: ${mib(run.peakRssKiB)} MiB (${run.seconds.toFixed(1)} s, ${recordsOf(run.stderr, /inserted (\d+)/)} records)`);
    }
    const perRestoreWorker = (restoreRss[2]! - restoreRss[0]!) / 15;
    say(
      `  per restore worker: ${perRestoreWorker.toFixed(0)} KiB measured; formula: batch-size x avg record = 128 x ~${avgRecordBytes} B = ${Math.round((128 * avgRecordBytes) / 1024)} KiB in records (+ a file read window of 128 KiB)`,
    );
  } finally {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
  return [];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await runBackupBench();
}
