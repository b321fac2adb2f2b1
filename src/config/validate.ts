/**
 * Cross-field rules: checks that involve more than one parameter. The file parser runs every rule
 * once parsing is done; set-config runs the rules a changed key can break, on the would-be config,
 * so a live node can never be talked into a state it would refuse to start with - except where
 * Aerospike itself allows it (see `triggers`).
 */
import { LIMITS } from './model.js';
import type { NamespaceConfig, SetConfig, StratoConfig } from './model.js';

/** One broken rule: what is wrong and where (`key` on `target`, else the stanza of `target`). */
export interface Problem {
  reason: string;
  target: object;
  key?: string;
}

export interface NamespaceRule {
  /**
   * set-config keys that can break this rule; set-config re-checks it only when one of them
   * changes. Empty = checked at startup only (Aerospike's set-config does not check it either).
   */
  triggers: readonly string[];
  check(ns: NamespaceConfig): Problem | undefined;
}

/** Storage with files or devices writes records in write blocks. */
function hasBlockStorage(ns: NamespaceConfig): boolean {
  return ns.storage.files.length > 0 || ns.storage.devices.length > 0;
}

export const NAMESPACE_RULES: readonly NamespaceRule[] = [
  {
    // Aerospike refuses to start (and set-config refuses default-ttl) - without nsup nothing
    // would ever remove the expiring records
    triggers: ['default-ttl'],
    check: (ns) =>
      ns.defaultTtlSec !== 0 && ns.nsupPeriodSec === 0 && !ns.allowTtlWithoutNsup
        ? {
            reason: `{${ns.name}} must configure non-zero 'nsup-period' or 'allow-ttl-without-nsup' true if 'default-ttl' is non-zero`,
            target: ns,
            key: 'default-ttl',
          }
        : undefined,
  },
  {
    // defragmentation needs free blocks to move records into
    triggers: [],
    check: (ns) =>
      ns.storage.files.length > 0 && ns.storage.filesizeBytes < LIMITS.minWriteBlocksPerFile * ns.storage.writeBlockSizeBytes
        ? {
            reason: `{${ns.name}} 'filesize' ${ns.storage.filesizeBytes} must hold at least ${LIMITS.minWriteBlocksPerFile} write blocks of ${ns.storage.writeBlockSizeBytes} bytes`,
            target: ns.storage,
            key: 'filesize',
          }
        : undefined,
  },
  {
    // a record is written whole into one write block
    triggers: ['max-record-size'],
    check: (ns) =>
      hasBlockStorage(ns) && ns.maxRecordSizeBytes > ns.storage.writeBlockSizeBytes
        ? {
            reason: `{${ns.name}} 'max-record-size' ${ns.maxRecordSizeBytes} must not exceed 'write-block-size' ${ns.storage.writeBlockSizeBytes}`,
            target: ns,
            key: 'max-record-size',
          }
        : undefined,
  },
  {
    triggers: [],
    check: (ns) =>
      ns.indexType === 'flash' && ns.storage.kind !== 'device'
        ? {
            reason: `{${ns.name}} 'index-type flash' can only be used with 'storage-engine device'`,
            target: ns,
            key: 'index-type',
          }
        : undefined,
  },
  {
    triggers: [],
    check: (ns) =>
      ns.storage.compressionLevel !== 0 && ns.storage.compression !== 'zstd'
        ? {
            reason: `{${ns.name}} 'compression-level' is only relevant for 'compression zstd'`,
            target: ns.storage,
            key: 'compression-level',
          }
        : undefined,
  },
  {
    triggers: [],
    check: (ns) =>
      ns.storage.commitToDevice && ns.storage.disableOdsync
        ? {
            reason: `{${ns.name}} can't configure both 'commit-to-device' and 'disable-odsync'`,
            target: ns.storage,
            key: 'disable-odsync',
          }
        : undefined,
  },
];

/** Keys Aerospike's set-config refuses on a strong-consistency namespace. */
const NOT_WITH_STRONG_CONSISTENCY = [
  'conflict-resolution-policy',
  'disable-write-dup-res',
  'read-consistency-level-override',
  'write-commit-level-override',
  'replication-factor',
];

/** Rules only set-config applies (Aerospike does not check these at startup). */
export const DYNAMIC_NAMESPACE_RULES: readonly NamespaceRule[] = [
  {
    triggers: NOT_WITH_STRONG_CONSISTENCY,
    check: (ns) =>
      ns.strongConsistency ? { reason: `{${ns.name}} parameter is not applicable with 'strong-consistency'`, target: ns } : undefined,
  },
  {
    // as 8.1: "can't set flush-size if storage-engine memory with no backing"
    triggers: ['flush-size'],
    check: (ns) =>
      ns.storage.kind === 'memory' && !hasBlockStorage(ns)
        ? { reason: `{${ns.name}} can't set 'flush-size' if storage-engine memory with no backing`, target: ns.storage, key: 'flush-size' }
        : undefined,
  },
];

/**
 * A set's own default-ttl, checked by set-config only (as Aerospike): non-zero needs nsup unless
 * it is -1 (never expire).
 */
export function checkSetTtl(ns: NamespaceConfig, set: SetConfig): Problem | undefined {
  if (set.defaultTtlSec > 0 && ns.nsupPeriodSec === 0 && !ns.allowTtlWithoutNsup) {
    return {
      reason: `{${ns.name}|${set.name}} must configure non-zero 'nsup-period' or 'allow-ttl-without-nsup' true to set 'default-ttl' > 0`,
      target: set,
      key: 'default-ttl',
    };
  }
  return undefined;
}

/** Every namespace rule that applies at startup, in order; first problem per namespace. */
export function checkNamespace(ns: NamespaceConfig): Problem | undefined {
  for (const rule of NAMESPACE_RULES) {
    const p = rule.check(ns);
    if (p) return p;
  }
  return undefined;
}

/** Whole-node rules outside namespaces. */
export function checkNetwork(cfg: StratoConfig): Problem | undefined {
  const hb = cfg.network.heartbeat;
  if (hb.connectTimeoutMs > Math.floor((hb.intervalMs * hb.timeoutIntervals) / 3)) {
    return { reason: "'connect-timeout-ms' must be <= 'interval' * 'timeout' / 3", target: hb, key: 'connect-timeout-ms' };
  }
  if (hb.mode === 'multicast' && hb.multicastGroups.length === 0) {
    return { reason: "heartbeat 'mode multicast' needs at least one 'multicast-group'", target: hb, key: 'mode' };
  }
  const fab = cfg.network.fabric.extra;
  const threads = Number(fab['channel-rw-recv-threads'] ?? 16);
  const pools = Number(fab['channel-rw-recv-pools'] ?? 1);
  if (threads % pools !== 0) {
    return {
      reason: "'channel-rw-recv-threads' must be a multiple of 'channel-rw-recv-pools'",
      target: cfg.network.fabric,
      key: 'channel-rw-recv-threads',
    };
  }
  return undefined;
}
