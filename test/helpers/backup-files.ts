/** Reading backups back in tests: every record of a directory or file, each exactly once. */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BackupFileReader } from '../../src/tools/backup/file-reader.js';
import type { BackupRecord } from '../../src/tools/backup/record.js';

/** Every record of a backup directory or file, by base64 digest; a record seen twice fails. */
export async function readBackup(path: string, env: { zstd?: boolean } = {}): Promise<Map<string, BackupRecord>> {
  const files = existsSync(path) && !path.endsWith('.asb') ? readdirSync(path).filter((f) => f.endsWith('.asb')).map((f) => join(path, f)) : [path];
  const out = new Map<string, BackupRecord>();
  for (const f of files) {
    const r = new BackupFileReader(f, { zstd: env.zstd ?? false });
    await r.open();
    for (let it = await r.next(); it; it = await r.next()) {
      if (it.kind !== 'record') continue;
      const k = it.digest.toString('base64');
      assert.ok(!out.has(k), `record ${k} appears twice`);
      out.set(k, it);
    }
    await r.close();
  }
  return out;
}
