/**
 * Sets of a namespace: name ↔ small id (kept in each index entry), per-set statistics, per-set
 * limits and truncation points.
 */
import { AsError, ResultCode } from '../protocol/result-codes.js';

/** Aerospike allows at most 4095 sets per namespace (set id 0 means "no set"). */
export const MAX_SETS_PER_NAMESPACE = 4095;

export interface SetSettings {
  disableEviction: boolean;
  stopWritesCount: number;
  stopWritesSizeBytes: number;
  defaultTtlSec: number;
  enableIndex: boolean;
  /** `default-read-touch-ttl-pct` of the set: 0 = the namespace's, -1 = never touch */
  defaultReadTouchTtlPct?: number;
}

export class SetInfo {
  objects = 0;
  dataUsedBytes = 0;
  truncateLutMs = 0;
  settings: SetSettings = {
    disableEviction: false,
    stopWritesCount: 0,
    stopWritesSizeBytes: 0,
    defaultTtlSec: 0,
    enableIndex: false,
  };
  constructor(
    readonly id: number,
    readonly name: string,
  ) {}
}

export class SetRegistry {
  private byName = new Map<string, SetInfo>();
  private byId: (SetInfo | undefined)[] = [undefined];
  /** Records last updated at or before this (Unix ms) were truncated namespace-wide. */
  namespaceTruncateLutMs = 0;

  /** Set id for a name, creating the set when asked. 0 for the empty name. */
  idOf(name: string, create: boolean): number {
    if (name.length === 0) return 0;
    const s = this.byName.get(name);
    if (s) return s.id;
    if (!create) return -1;
    return this.create(name).id;
  }

  create(name: string): SetInfo {
    const existing = this.byName.get(name);
    if (existing) return existing;
    if (this.byId.length > MAX_SETS_PER_NAMESPACE) {
      throw new AsError(ResultCode.FORBIDDEN, 'too many sets');
    }
    const info = new SetInfo(this.byId.length, name);
    this.byId.push(info);
    this.byName.set(name, info);
    return info;
  }

  get(id: number): SetInfo | undefined {
    return this.byId[id];
  }

  getByName(name: string): SetInfo | undefined {
    return this.byName.get(name);
  }

  nameOf(id: number): string {
    return this.byId[id]?.name ?? '';
  }

  all(): SetInfo[] {
    return this.byId.filter((s): s is SetInfo => s !== undefined);
  }

  truncateLutMs(id: number): number {
    return this.byId[id]?.truncateLutMs ?? 0;
  }

  recordAdded(id: number, bytes: number): void {
    const s = this.byId[id];
    if (!s) return;
    s.objects++;
    s.dataUsedBytes += bytes;
  }

  recordResized(id: number, oldBytes: number, newBytes: number): void {
    const s = this.byId[id];
    if (s) s.dataUsedBytes += newBytes - oldBytes;
  }

  recordRemoved(id: number, bytes: number): void {
    const s = this.byId[id];
    if (!s) return;
    s.objects--;
    s.dataUsedBytes -= bytes;
  }
}
