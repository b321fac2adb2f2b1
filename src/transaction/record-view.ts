/**
 * A record as filters and expression ops see it: metadata from the index, bins decoded lazily
 * (or taken from a write in progress).
 */
import type { Namespace } from '../namespace/namespace.js';
import type { Bin } from '../protocol/particle.js';
import { decodeRecord, type StoredKey } from '../storage/record-codec.js';
import { aerospikeRecordSize } from '../storage/flat-size.js';
import type { FilterRecord } from './extensions.js';

export class RecordView implements FilterRecord {
  private bins: Bin[] | undefined;
  private storedKey: StoredKey | undefined;
  private decoded = false;

  constructor(
    private readonly ns: Namespace,
    private readonly id: number,
    readonly digest: Buffer,
    workingBins?: Bin[],
  ) {
    if (workingBins) {
      this.bins = workingBins;
    }
  }

  private load(): void {
    if (this.decoded) return;
    this.decoded = true;
    if (this.id < 0) return;
    const rec = decodeRecord(this.ns.storage.get(this.ns.index, this.id));
    this.storedKey = rec.key;
    this.bins ??= rec.bins;
  }

  /** Replaces the bins seen (an operate in progress). */
  setWorkingBins(bins: Bin[]): void {
    this.load();
    this.bins = bins;
  }

  getBin(name: string): Bin | undefined {
    this.load();
    if (!this.bins) return undefined;
    for (const b of this.bins) if (b.name === name) return b;
    return undefined;
  }

  binNames(): string[] {
    this.load();
    return this.bins ? this.bins.map((b) => b.name) : [];
  }

  get exists(): boolean {
    return this.id >= 0;
  }
  get generation(): number {
    return this.id >= 0 ? this.ns.index.generation(this.id) : 0;
  }
  get voidTime(): number {
    return this.id >= 0 ? this.ns.index.voidTime(this.id) : 0;
  }
  get lastUpdateMs(): number {
    return this.id >= 0 ? this.ns.index.lastUpdateMs(this.id) : 0;
  }
  get setName(): string {
    return this.id >= 0 ? this.ns.sets.nameOf(this.ns.index.setId(this.id)) : '';
  }
  get key(): StoredKey | undefined {
    this.load();
    return this.storedKey;
  }
  /** Aerospike 8.1's stored size of the record as it was before this transaction (its flat form). */
  get recordSizeBytes(): number {
    if (this.id < 0) return 0;
    const stored = decodeRecord(this.ns.storage.get(this.ns.index, this.id));
    return aerospikeRecordSize({ voidTime: this.voidTime, setName: this.setName }, stored.key, stored.bins);
  }
  get memorySizeBytes(): number {
    return this.ns.storage.kind === 'memory' ? this.recordSizeBytes : 0;
  }
  get deviceSizeBytes(): number {
    return this.ns.storage.kind === 'device' ? this.recordSizeBytes : 0;
  }
  get isTombstone(): boolean {
    return false;
  }
}
