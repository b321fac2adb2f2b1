/**
 * The `namespace <name> { }` stanza and everything nested in it: storage-engine, sets,
 * geo2dsphere-within and index-type / sindex-type.
 */
import { stanzaLabel, type ParamLine, type Stanza } from './lexer.js';
import { LIMITS, type IndexMounts, type IndexType, type NamespaceConfig, type StorageConfig } from './model.js';
import type { ParseContext } from './parse-context.js';
import { GEO2DSPHERE_PARAMS, NAMESPACE_PARAMS, SET_PARAMS, indexMountParams } from './namespace-params.js';
import { newDeviceStorage, newMemoryStorage, newNamespaceConfig, newSetConfig } from './stanza-defaults.js';
import { DEVICE_STORAGE_PARAMS, MEMORY_STORAGE_PARAMS } from './storage-params.js';
import { byteLength } from './values.js';

/** data-size of the pre-7 one-line `storage-engine memory`, which had no size of its own. */
export const BLOCKLESS_MEMORY_DATA_SIZE_BYTES = 1024 ** 3;

/** Characters that would break info answers (`ns=x:set=y;...`). */
const INFO_UNSAFE = /[:;=]/;

/**
 * Checks a namespace or set name; returns why it is refused.
 * @param what `namespace` or `set`, for the message
 */
export function checkName(name: string, what: 'namespace' | 'set'): string | undefined {
  const max = what === 'namespace' ? LIMITS.namespaceNameMaxBytes : LIMITS.setNameMaxBytes;
  if (name.length === 0) return `${what} name must not be empty`;
  if (byteLength(name) > max) return `${what} name '${name}' is longer than ${max} bytes`;
  if (INFO_UNSAFE.test(name)) return `${what} name '${name}' must not contain ':', ';' or '='`;
  return undefined;
}

class NamespaceParser {
  private storageLine: number | undefined;

  constructor(
    private readonly ctx: ParseContext,
    private readonly ns: NamespaceConfig,
  ) {}

  run(stanza: Stanza): void {
    const setLines = new Map<string, number>();
    this.ctx.applyParams(NAMESPACE_PARAMS, this.ns, stanza, 'namespace', (item) => {
      switch (item.kind === 'stanza' ? item.name : item.key) {
        case 'storage-engine':
          this.storage(item);
          return true;
        case 'set':
          this.set(item, setLines);
          return true;
        case 'geo2dsphere-within':
          this.needsBlock(item);
          this.ctx.noArgs(item as Stanza);
          this.ctx.applyParams(GEO2DSPHERE_PARAMS, this.ns.geo2dsphereWithin, item as Stanza, 'geo2dsphere-within');
          return true;
        case 'index-type':
        case 'sindex-type':
          this.indexType(item);
          return true;
        default:
          return false;
      }
    });
    if (this.storageLine === undefined) {
      throw this.ctx.error(stanza.line, `{${this.ns.name}} must configure 'storage-engine'`);
    }
  }

  private needsBlock(item: ParamLine | Stanza): asserts item is Stanza {
    if (item.kind === 'param') {
      throw this.ctx.error(item.line, `'${[item.key, ...item.values].join(' ')}' needs a { } block`);
    }
  }

  /** `storage-engine memory|device { }`, or the pre-7 one-line `storage-engine memory`. */
  private storage(item: ParamLine | Stanza): void {
    const args = item.kind === 'stanza' ? item.args : item.values;
    if (this.storageLine !== undefined) {
      throw this.ctx.error(item.line, `{${this.ns.name}} can only configure one 'storage-engine' (first at line ${this.storageLine})`);
    }
    if (args.length !== 1) {
      throw this.ctx.error(item.line, `'storage-engine' must be followed by memory or device, got '${args.join(' ')}'`);
    }
    const kind = args[0]!;
    if (kind === 'pmem') throw this.ctx.error(item.line, "'storage-engine pmem' is enterprise-only");
    if (kind !== 'memory' && kind !== 'device') {
      throw this.ctx.error(item.line, `'storage-engine' must be memory or device, got ${kind}`);
    }
    this.storageLine = item.line;
    this.ctx.book.record(this.ns, 'storage-engine', item.line);

    if (item.kind === 'param') {
      if (kind === 'device') throw this.ctx.error(item.line, "'storage-engine device' needs a { } block listing its files or devices");
      const storage = newMemoryStorage();
      storage.dataSizeBytes = BLOCKLESS_MEMORY_DATA_SIZE_BYTES;
      this.ctx.book.stanza(storage, item.line);
      this.ns.storage = storage;
      return;
    }

    const storage: StorageConfig = kind === 'memory' ? newMemoryStorage() : newDeviceStorage();
    if (storage.kind === 'memory') this.ctx.applyParams(MEMORY_STORAGE_PARAMS, storage, item, 'storage-engine memory');
    else this.ctx.applyParams(DEVICE_STORAGE_PARAMS, storage, item, 'storage-engine device');
    this.finishStorage(storage, item);
    this.ns.storage = storage;
  }

  /** Stanza-end checks of Aerospike's storage contexts (they need to know what was configured). */
  private finishStorage(storage: StorageConfig, stanza: Stanza): void {
    const name = this.ns.name;
    const set = (key: string) => this.ctx.book.lineOf(storage, key);
    const fail = (reason: string, key?: string) => {
      throw this.ctx.error((key !== undefined ? set(key) : undefined) ?? stanza.line, reason);
    };
    for (const f of storage.files) f.sizeBytes = storage.filesizeBytes;
    const backed = storage.files.length > 0 || storage.devices.length > 0;

    if (storage.files.length > 0 && storage.filesizeBytes === 0) fail(`{${name}} must configure 'filesize' if using storage files`);
    if (storage.kind === 'device') {
      if (!backed) fail(`{${name}} has no devices or files`);
      return;
    }
    if (!backed && storage.dataSizeBytes === 0) fail(`{${name}} must configure 'data-size' if not using storage backing`);
    if (backed && set('data-size') !== undefined) fail(`{${name}} can't configure 'data-size' if using storage backing`, 'data-size');
    if (!backed && set('write-block-size') !== undefined) {
      fail(`{${name}} can't configure 'write-block-size' if not using storage backing`, 'write-block-size');
    }
    if (!backed && set('flush-size') !== undefined) {
      fail(`{${name}} can't configure 'flush-size' if not using storage backing`, 'flush-size');
    }
    if (!backed && storage.encryptionKeyFile !== undefined) {
      fail(`{${name}} 'encryption-key-file' is only relevant if using storage backing`, 'encryption-key-file');
    }
    if (!backed && storage.commitToDevice) {
      fail(`{${name}} 'commit-to-device' guarantee is automatic if not using storage backing`, 'commit-to-device');
    }
    // backed memory holds what its files hold (devices are sized when opened)
    if (storage.files.length > 0) storage.dataSizeBytes = storage.files.length * storage.filesizeBytes;
  }

  private set(item: ParamLine | Stanza, setLines: Map<string, number>): void {
    this.needsBlock(item);
    if (item.args.length !== 1) throw this.ctx.error(item.line, `'set' stanza takes one set name, got '${item.args.join(' ')}'`);
    const setName = item.args[0]!;
    const bad = checkName(setName, 'set');
    if (bad !== undefined) throw this.ctx.error(item.line, bad);
    const prev = setLines.get(setName);
    if (prev !== undefined) throw this.ctx.error(item.line, `{${this.ns.name}} set '${setName}' is already configured at line ${prev}`);
    if (this.ns.sets.length >= LIMITS.maxSetsPerNamespace) {
      throw this.ctx.error(item.line, `{${this.ns.name}} too many sets (at most ${LIMITS.maxSetsPerNamespace})`);
    }
    setLines.set(setName, item.line);
    const set = newSetConfig(setName);
    this.ctx.applyParams(SET_PARAMS, set, item, `set ${setName}`);
    this.ns.sets.push(set);
  }

  /** `index-type shmem` (one line) or `index-type pmem|flash { mount ...; mounts-budget ... }`. */
  private indexType(item: ParamLine | Stanza): void {
    const key = item.kind === 'stanza' ? item.name : item.key;
    const args = item.kind === 'stanza' ? item.args : item.values;
    const line = this.ctx.book.lineOf(this.ns, key);
    if (line !== undefined) throw this.ctx.error(item.line, `'${key}' is already set at line ${line}`);
    if (args.length !== 1 || !['shmem', 'pmem', 'flash'].includes(args[0]!)) {
      throw this.ctx.error(item.line, `'${key}' must be one of shmem, pmem, flash, got '${args.join(' ')}'`);
    }
    const type = args[0] as IndexType;
    this.ctx.book.record(this.ns, key, item.line);
    if (type === 'shmem') {
      if (item.kind === 'stanza') throw this.ctx.error(item.line, `'${key} shmem' takes no { } block`);
    } else {
      if (item.kind === 'param') throw this.ctx.error(item.line, `'${key} ${type}' needs a { } block with 'mount' and 'mounts-budget'`);
      // Aerospike's floor: a flash primary index needs at least 4G of mounts, the rest 1G
      const minBudget = (key === 'index-type' && type === 'flash' ? 4 : 1) * 1024 ** 3;
      const mounts: IndexMounts = { mounts: [], mountsBudgetBytes: 0, evictMountsPct: 0 };
      this.ctx.applyParams(indexMountParams(minBudget), mounts, item, stanzaLabel(item));
      if (mounts.mounts.length === 0) throw this.ctx.error(item.line, `{${this.ns.name}} '${key} ${type}' must configure 'mount'`);
      if (mounts.mountsBudgetBytes === 0) throw this.ctx.error(item.line, `{${this.ns.name}} must configure 'mounts-budget'`);
      if (key === 'index-type') this.ns.indexMounts = mounts;
      else this.ns.sindexMounts = mounts;
    }
    if (key === 'index-type') this.ns.indexType = type;
    else this.ns.sindexType = type;
  }
}

/**
 * Parses one `namespace <name> { }` stanza (name already checked by the caller).
 * @throws ConfigError naming the offending line
 */
export function parseNamespace(ctx: ParseContext, stanza: Stanza, name: string): NamespaceConfig {
  const ns = newNamespaceConfig(name);
  new NamespaceParser(ctx, ns).run(stanza);
  return ns;
}
