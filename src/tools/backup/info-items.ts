/**
 * Secondary indexes and UDF modules through info commands: reading them for a backup
 * (`sindex-list`, `udf-list`, `udf-get`) and recreating them on restore (`sindex-create`,
 * `udf-put`), with the server's refusal reported as it answered.
 */
import type { WireConnection } from '../../client/wire-connection.js';
import type { BackupSIndex, BackupUdf, SIndexPath } from './record.js';

/** An index the backup format has no line for (expression indexes); skipped with a warning. */
export class ExpressionIndexError extends Error {}

/** Parses one `sindex-list` entry (utils.c parse_index_info); throws on an entry it cannot back up. */
export function parseSIndexInfo(namespace: string, entry: string): BackupSIndex {
  let set = '';
  let name: string | undefined;
  let indexType: BackupSIndex['indexType'] | undefined;
  let context: string | undefined;
  let path: string | undefined;
  let type: SIndexPath['type'] | undefined;
  const paths: SIndexPath[] = [];
  for (const para of entry.split(':')) {
    const eq = para.indexOf('=');
    if (eq < 0) throw new Error(`Invalid secondary index parameter string ${para} (missing "=")`);
    const k = para.slice(0, eq);
    const v = para.slice(eq + 1);
    switch (k) {
      case 'set':
        set = v === 'NULL' || v === 'null' ? '' : v;
        break;
      case 'indexname':
        name = v;
        break;
      case 'num_bins':
        if (v !== '1') throw new Error(`Multi-bin secondary indexes currently not supported, number of bins: ${v}`);
        break;
      case 'type': {
        const t = v.toUpperCase();
        if (t === 'STRING' || t === 'TEXT') type = 'S';
        else if (t === 'NUMERIC' || t === 'INT SIGNED' || t === 'INTEGER') type = 'N';
        else if (t === 'BLOB') type = 'B';
        else if (t === 'GEO2DSPHERE' || t === 'GEOJSON') type = 'G';
        else throw new Error(`Invalid path type ${v}`);
        break;
      }
      case 'indextype': {
        const t = v.toUpperCase();
        if (t === 'LIST') indexType = 'L';
        else if (t === 'MAPKEYS') indexType = 'K';
        else if (t === 'MAPVALUES') indexType = 'V';
        else if (t === 'NONE' || t === 'DEFAULT') indexType = 'N';
        else throw new Error(`Invalid index type ${v}`);
        break;
      }
      case 'bin':
        path = v;
        break;
      case 'context':
        context = v.toUpperCase() === 'NULL' ? undefined : v;
        break;
      case 'exp':
        // an expression index has no bin: the backup text format (3.1) cannot describe it
        if (v.toUpperCase() !== 'NULL') throw new ExpressionIndexError(`Secondary index ${name ?? ''} is an expression index, which the backup format cannot hold`);
        break;
    }
    if (path !== undefined && type !== undefined) {
      paths.push({ path, type });
      path = undefined;
      type = undefined;
    }
  }
  if (name === undefined) throw new Error('Missing index name');
  if (indexType === undefined) throw new Error(`Missing index type in index ${name}`);
  if (paths.length !== 1) throw new Error(`Invalid number of paths in index ${name} (${paths.length})`);
  const ix: BackupSIndex = { kind: 'sindex', namespace, set, name, indexType, paths };
  if (context !== undefined) ix.context = context;
  return ix;
}

/** Lists the namespace's secondary indexes, keeping those on the wanted sets (all when none given). */
export async function listSIndexes(conn: WireConnection, namespace: string, sets: string[]): Promise<{ kept: BackupSIndex[]; skipped: number }> {
  const cmd = `sindex-list:ns=${namespace};b64=true`;
  const answer = (await conn.info([cmd])).get(cmd) ?? '';
  if (answer.startsWith('ERROR') || answer.startsWith('error')) throw new Error(`Error while retrieving secondary index info: ${answer}`);
  const text = answer.replace(/;$/, '');
  if (text.length === 0) return { kept: [], skipped: 0 };
  const kept: BackupSIndex[] = [];
  let skipped = 0;
  for (const entry of text.split(';')) {
    if (entry.length === 0) continue;
    let ix: BackupSIndex;
    try {
      ix = parseSIndexInfo(namespace, entry);
    } catch (e) {
      if (!(e instanceof ExpressionIndexError)) throw e;
      skipped++;
      continue;
    }
    if (sets.length === 0 || (ix.set !== '' && sets.includes(ix.set))) kept.push(ix);
    else skipped++;
  }
  return { kept, skipped };
}

/** Reads every UDF module with its source. */
export async function listUdfs(conn: WireConnection): Promise<BackupUdf[]> {
  const list = (await conn.info(['udf-list'])).get('udf-list') ?? '';
  if (list.startsWith('ERROR') || list.startsWith('error')) throw new Error(`Error while listing UDFs: ${list}`);
  const out: BackupUdf[] = [];
  for (const entry of list.split(';')) {
    const m = /(?:^|,)filename=([^,]+)/.exec(entry);
    if (!m) continue;
    const name = m[1]!;
    const cmd = `udf-get:filename=${name};`;
    const got = (await conn.info([cmd])).get(cmd) ?? '';
    const content = /(?:^|;)content=([^;]*)/.exec(got);
    if (!content) throw new Error(`Error while fetching UDF file ${name}: ${got}`);
    out.push({ kind: 'udf', type: 'L', name, content: Buffer.from(content[1]!, 'base64') });
  }
  return out;
}

const PATH_TYPE_NAMES: Record<SIndexPath['type'], string> = { S: 'STRING', N: 'NUMERIC', G: 'GEO2DSPHERE', B: 'BLOB' };
const INDEX_TYPE_NAMES: Record<BackupSIndex['indexType'], string> = { N: 'DEFAULT', L: 'LIST', K: 'MAPKEYS', V: 'MAPVALUES' };

/** The `sindex-create` command for an index (server ≥ 8.1 form, protocol reference §2.8). */
export function sindexCreateCommand(ix: BackupSIndex, namespace: string): string {
  const p = ix.paths[0]!;
  let cmd = `sindex-create:namespace=${namespace}`;
  if (ix.set) cmd += `;set=${ix.set}`;
  cmd += `;indexname=${ix.name}`;
  if (ix.context) cmd += `;context=${ix.context}`;
  if (ix.indexType !== 'N') cmd += `;indextype=${INDEX_TYPE_NAMES[ix.indexType]}`;
  cmd += `;bin=${p.path};type=${PATH_TYPE_NAMES[p.type]}`;
  return cmd;
}

/** Creates an index; throws with the server's answer when it refuses. */
export async function createSIndex(conn: WireConnection, ix: BackupSIndex, namespace: string): Promise<void> {
  const cmd = sindexCreateCommand(ix, namespace);
  const answer = (await conn.info([cmd])).get(cmd) ?? '';
  if (answer.trim().toLowerCase() !== 'ok') throw new Error(`Error while creating index ${namespace}:${ix.name}: server answered "${answer.trim()}"`);
}

/** Uploads a UDF module; throws with the server's answer when it refuses. */
export async function putUdf(conn: WireConnection, udf: BackupUdf): Promise<void> {
  const b64 = udf.content.toString('base64');
  const cmd = `udf-put:filename=${udf.name};content=${b64};content-len=${b64.length};udf-type=LUA;`;
  const answer = (await conn.info([cmd])).get(cmd) ?? '';
  if (answer.trim().toLowerCase() !== 'ok' && answer.trim() !== '') {
    throw new Error(`Error while putting UDF file ${udf.name}: server answered "${answer.trim()}"`);
  }
  if (answer.trim() === '') throw new Error(`Error while putting UDF file ${udf.name}: server gave no answer`);
}
