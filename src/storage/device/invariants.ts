/**
 * The device engine's accounting invariants, checked where they can break (after load and flush)
 * and by tests whenever they like: they throw, naming the file and block, when broken.
 */
import type { PrimaryIndex } from '../../index/primary-index.js';
import { N_PARTITIONS } from '../../util/digest.js';
import type { DeviceCore } from './core.js';
import { BlockState, type DeviceFile } from './device-file.js';
import { deviceRecordSize } from './format.js';

export class Invariants {
  constructor(private readonly c: DeviceCore) {}

  /**
   * Checks the block accounting and throws when it is broken: per file, the per-block live bytes
   * are within 0..write-block-size and sum to the file's used bytes; free and pending blocks hold
   * nothing; the free list, defrag queue, pending list, swbs and post-write cache agree with the
   * block states; and every block on the device that is under defrag-lwm-pct is queued for
   * defragmentation (unless the post-write cache holds it, or a defrag pass could not empty it).
   * O(blocks): flush() and load() run it; tests call it whenever they like.
   */
  checkInvariants(): void {
    if (!this.c.started || this.c.closed) return;
    const lwm = this.c.lwmBytes();
    // where each block is listed: free list, defrag queue, pending list, an swb
    const IN_FREE = 1;
    const IN_Q = 2;
    const IN_PENDING = 4;
    const IN_SWB = 8;
    const marks = this.c.files.map((f) => new Uint8Array(f.nBlocks));
    const mark = (fi: number, b: number, bit: number, what: string): void => {
      const f = this.c.files[fi];
      if (!f || b <= 0 || b >= f.nBlocks) throw new Error(`block ${b} of file ${fi} on the ${what} does not exist (accounting invariant broken)`);
      const m = marks[fi]!;
      if (m[b]! & bit) this.broken(f, `block ${b} is on the ${what} twice`);
      m[b]! |= bit;
    };
    for (const f of this.c.files) {
      f.free.forEach((b) => mark(f.fileIndex, b, IN_FREE, 'free list'));
      f.defragQ.forEach((b) => mark(f.fileIndex, b, IN_Q, 'defrag queue'));
      for (const s of [f.clientSwb, f.defragSwb]) if (s) mark(s.file, s.block, IN_SWB, 'open swbs');
    }
    for (const s of this.c.writeQ) mark(s.file, s.block, IN_SWB, 'swbs');
    for (let i = this.c.pendingHead; i < this.c.pending.length; i += 3) mark(this.c.pending[i]!, this.c.pending[i + 1]!, IN_PENDING, 'pending list');
    for (const f of this.c.files) {
      if (f.used[0] !== 0 || f.state[0] !== BlockState.HEADER) this.broken(f, 'block 0 is not the header');
      const sum = f.sumUsed();
      if (sum !== f.usedBytes) this.broken(f, `block live bytes sum to ${sum}, used bytes say ${f.usedBytes}`);
      const m = marks[f.fileIndex]!;
      for (let b = 1; b < f.nBlocks; b++) {
        const used = f.used[b]!;
        const st = f.state[b]!;
        if (used < 0 || used > this.c.wbs) this.broken(f, `block ${b} has ${used} live bytes`);
        const want =
          st === BlockState.FREE ? IN_FREE : st === BlockState.QUEUED ? IN_Q : st === BlockState.PENDING_FREE ? IN_PENDING : st === BlockState.SWB ? IN_SWB : 0;
        if (m[b] !== want) this.broken(f, `block ${b} in state ${st} is listed as ${m[b]} (free 1, defrag queue 2, pending 4, swb 8)`);
        switch (st) {
          case BlockState.FREE:
          case BlockState.PENDING_FREE:
            if (used !== 0) this.broken(f, `block ${b} in state ${st} has ${used} live bytes`);
            break;
          case BlockState.FULL:
            if (used === 0) this.broken(f, `block ${b} is on the device with no live bytes and was not freed`);
            if (used < lwm && !f.stuck.has(b) && !this.c.pwc.has(f.fileIndex, b)) {
              this.broken(f, `block ${b} has ${used} live bytes (< lwm ${lwm}) and is not queued for defrag`);
            }
            break;
          case BlockState.SWB:
          case BlockState.QUEUED:
            break;
          default:
            this.broken(f, `block ${b} in unknown state ${st}`);
        }
      }
    }
    this.c.pwc.forEachBlock((fi, b) => {
      const f = this.c.files[fi];
      if (!f || b <= 0 || b >= f.nBlocks) throw new Error(`post-write cache holds block ${b} of file ${fi}, which does not exist (accounting invariant broken)`);
      if (f.state[b] !== BlockState.FULL) this.broken(f, `block ${b} in state ${f.state[b]} is in the post-write cache`);
    });
  }

  broken(f: DeviceFile, what: string): never {
    throw new Error(`device ${f.path}: ${what} (accounting invariant broken)`);
  }

  /**
   * Recomputes every block's live bytes from the index (each entry's copy: locator = block,
   * locator3 = file | set-name length << 8, storedSize = data length) and throws when they differ
   * from the engine's. O(records + blocks); for tests and diagnostics.
   */
  verifyAgainstIndex(index: PrimaryIndex): void {
    this.checkInvariants();
    const expect = this.c.files.map((f) => new Float64Array(f.nBlocks));
    for (let p = 0; p < N_PARTITIONS; p++) {
      if (index.partitionSize(p) === 0) continue;
      index.forEachInPartition(p, (id) => {
        const b = index.locator(id);
        if (b === 0) return;
        const loc3 = index.locator3(id);
        const e = expect[loc3 & 0xff];
        if (!e || b >= e.length) throw new Error(`index entry ${id} points outside the device (file ${loc3 & 0xff}, block ${b})`);
        e[b]! += deviceRecordSize((loc3 >>> 8) & 0xff, index.storedSize(id));
      });
    }
    this.c.files.forEach((f, i) => {
      for (let b = 1; b < f.nBlocks; b++) {
        if (expect[i]![b] !== f.used[b]) this.broken(f, `block ${b} counts ${f.used[b]} live bytes, the index ${expect[i]![b]}`);
      }
    });
  }
}
