/**
 * System metadata (SMD): small node-wide state that must survive restarts (truncation points,
 * later sindex and UDF definitions). Each module is one JSON file under `<work-directory>/smd`,
 * replaced atomically (write to a temp file, fsync, rename) so a crash leaves old or new, never half.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export class SmdStore {
  private readonly dir: string;

  constructor(workDirectory: string) {
    this.dir = join(workDirectory, 'smd');
  }

  private file(module: string): string {
    return join(this.dir, `${module}.smd`);
  }

  /** Reads a module's items; a missing file is an empty module. Throws naming the file if corrupt. */
  load<T>(module: string): T[] {
    let text: string;
    try {
      text = readFileSync(this.file(module), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    try {
      const parsed = JSON.parse(text) as { items?: T[] };
      if (!Array.isArray(parsed.items)) throw new Error('no items array');
      return parsed.items;
    } catch (e) {
      throw new Error(`${this.file(module)}: corrupt system metadata (${(e as Error).message})`);
    }
  }

  /** Replaces a module's items durably. */
  save<T>(module: string, items: T[]): void {
    mkdirSync(this.dir, { recursive: true });
    const target = this.file(module);
    const tmp = `${target}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, JSON.stringify({ module, items }, null, 1));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, target);
  }
}
