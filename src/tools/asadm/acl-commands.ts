/**
 * asadm's users and roles: `show users`, `show roles` and `manage acl …`, over the admin protocol
 * on the principal node, with aerospike-admin's syntax (`manage acl create user <name> [password
 * <password>] [roles <role> …]`, `manage acl create role <name> priv <privilege> [ns <ns> [set
 * <set>]] [allow <addr> …] [read <quota>] [write <quota>]`, …) and its messages
 * (`Successfully created user alice.`, `ERROR: Failed to create user : User already exists.`).
 */
import {
  AdminError,
  changePassword,
  createRole,
  createUser,
  dropRole,
  dropUser,
  grantPrivileges,
  grantRoles,
  parsePrivilege,
  privilegeText,
  queryRoles,
  queryUsers,
  revokePrivileges,
  revokeRoles,
  setPassword,
  setQuotas,
  setWhitelist,
  type PrivilegeSpec,
} from '../../client/admin-request.js';
import type { AdminCluster } from './cluster.js';
import { pyPct, renderTable, scientific, type Cell, type TableOptions } from './table.js';

export interface AclResult {
  out: string;
  failed: boolean;
}

/** What the session knows: who logged in (for change-password), and how to ask for a password. */
export interface AclSession {
  user: string | undefined;
  /**
   * Asks for a password the command line left out, as asadm's getpass prompts (undefined: the
   * input ended); absent: no input to ask on.
   */
  secret?: ((prompt: string) => Promise<string | undefined>) | undefined;
}

/** A prompted password, or the error to print when none could be read. */
async function askSecret(session: AclSession, prompt: string): Promise<string | AclResult> {
  const answer = session.secret ? await session.secret(prompt) : undefined;
  return answer ?? fail('No password given: the input ended.');
}

const ok = (out: string): AclResult => ({ out: `${out}\n`, failed: false });
const fail = (out: string): AclResult => ({ out: `ERROR: ${out}\n`, failed: true });

/**
 * asadm's modifier parsing: words before the first modifier keyword are the line; the words after
 * a keyword, up to the next keyword, belong to it.
 */
export function parseModifiers(words: string[], keywords: string[]): { line: string[]; mods: Map<string, string[]> } {
  const mods = new Map<string, string[]>(keywords.map((k) => [k, []]));
  const line: string[] = [];
  let current: string[] = line;
  for (const w of words) {
    if (mods.has(w)) {
      current = mods.get(w)!;
      continue;
    }
    current.push(w);
  }
  return { line, mods };
}

async function run(c: AdminCluster, done: string, fn: Parameters<AdminCluster['admin']>[0]): Promise<AclResult> {
  try {
    await c.admin(fn);
    return ok(done);
  } catch (e) {
    return fail((e as Error).message);
  }
}

function quota(v: string | undefined): number | undefined | 'bad' {
  if (v === undefined) return undefined;
  return /^\d+$/.test(v) && Number(v) <= 0x7fffffff ? Number(v) : 'bad';
}

/** `priv <p> [ns <ns> [set <set>]]` as one privilege; a string is the error to print. */
function privilegeOf(mods: Map<string, string[]>): PrivilegeSpec | string {
  const name = mods.get('priv')?.[0];
  if (name === undefined) return 'Privilege is required.';
  const ns = mods.get('ns')?.[0];
  const set = mods.get('set')?.[0];
  if (set !== undefined && ns === undefined) return 'A set must be accompanied by a namespace.';
  const p = parsePrivilege([name, ns, set].filter((x) => x !== undefined).join('.'));
  return p ?? `Invalid privilege ${name}.`;
}

/** `manage acl …` */
export async function manageAcl(c: AdminCluster, words: string[], session: AclSession): Promise<AclResult> {
  const [action, kind, ...rest] = words;
  const usage = `Usage: manage acl create user <username> [password <password>] [roles <role1> <role2> ...]
       manage acl create role <role-name> priv <privilege> [ns <namespace> [set <set>]] [allow <addr1> [<addr2> [...]]] [read <read-quota>] [write <write-quota>]
       manage acl delete user <username> | manage acl delete role <role-name>
       manage acl grant user <username> roles <role1> [<role2> [...]]
       manage acl revoke user <username> roles <role1> [<role2> [...]]
       manage acl grant role <role-name> priv <privilege> [ns <namespace> [set <set>]]
       manage acl revoke role <role-name> priv <privilege> [ns <namespace> [set <set>]]
       manage acl set-password user <username> password <password>
       manage acl change-password old <old-password> new <new-password>
       manage acl allowlist role <role-name> clear | allow <addr1> [<addr2> [...]]
       manage acl quotas role <role-name> [read <read-quota>] [write <write-quota>]`;
  switch (action) {
    case 'create':
    case 'delete':
    case 'grant':
    case 'revoke': {
      if (kind === 'user') return userCommand(c, action, rest, session);
      if (kind === 'role') return roleCommand(c, action, rest);
      return { out: `${usage}\n`, failed: true };
    }
    case 'set-password': {
      // `set-password user <name> [password <p>]`
      const { mods } = parseModifiers([kind ?? '', ...rest], ['user', 'password']);
      const user = mods.get('user')?.[0];
      const password = mods.get('password')?.[0];
      if (!user) return { out: `${usage}\n`, failed: true };
      const pw = password ?? (await askSecret(session, `Enter new password for user ${user}:`));
      if (typeof pw !== 'string') return pw;
      return run(c, `Successfully set password for user ${user}.`, (conn) => setPassword(conn, user, pw));
    }
    case 'change-password': {
      const { mods } = parseModifiers([kind ?? '', ...rest].filter((w) => w !== ''), ['user', 'old', 'new']);
      // as asadm: the passwords are asked for first, then the user is looked at
      const old = mods.get('old')?.[0] ?? (await askSecret(session, 'Enter old password:'));
      if (typeof old !== 'string') return old;
      const next = mods.get('new')?.[0] ?? (await askSecret(session, 'Enter new password:'));
      if (typeof next !== 'string') return next;
      const user = mods.get('user')?.[0] ?? session.user;
      if (!user) return fail('No user is currently authenticated.');
      return run(c, `Successfully changed password for user ${user}.`, (conn) => changePassword(conn, user, old, next));
    }
    case 'allowlist': {
      const { mods } = parseModifiers([kind ?? '', ...rest], ['role', 'allow', 'clear']);
      const role = mods.get('role')?.[0];
      if (!role) return { out: `${usage}\n`, failed: true };
      const clear = [kind, ...rest].includes('clear');
      const allow = mods.get('allow') ?? [];
      if (!clear && allow.length === 0) return fail('Allowlist or clear is required.');
      if (clear) return run(c, `Successfully cleared allowlist from role ${role}.`, (conn) => setWhitelist(conn, role, []));
      return run(c, `Successfully updated allowlist for role ${role}.`, (conn) => setWhitelist(conn, role, allow));
    }
    case 'quotas': {
      const all = [kind ?? '', ...rest];
      const { mods } = parseModifiers(all, ['role', 'read', 'write']);
      // a role named read or write: `role read` (asadm's own special case)
      let role = mods.get('role')?.[0];
      if (role === undefined && all[all.indexOf('role') + 1] !== undefined && ['read', 'write'].includes(all[all.indexOf('role') + 1]!)) role = all[all.indexOf('role') + 1];
      if (!role) return { out: `${usage}\n`, failed: true };
      const r = quota(mods.get('read')?.[0]);
      const w = quota(mods.get('write')?.[0]);
      if (r === undefined && w === undefined) return fail("'read' or 'write' is required.");
      if (r === 'bad' || w === 'bad') return fail('Quotas must be integers.');
      return run(c, `Successfully set quota${r !== undefined && w !== undefined ? 's' : ''} for role ${role}.`, (conn) => setQuotas(conn, role!, r, w));
    }
    default:
      return { out: `${usage}\n`, failed: true };
  }
}

async function userCommand(c: AdminCluster, action: string, words: string[], session: AclSession): Promise<AclResult> {
  const { line, mods } = parseModifiers(words, ['password', 'roles', 'role']);
  const user = line[0];
  if (!user) return fail(`Usage: manage acl ${action} user <username>${action === 'create' ? ' [password <password>] [roles <role1> <role2> ...]' : action === 'delete' ? '' : ' roles <role1> [<role2> [...]]'}`);
  // asadm accepts `role` for `roles`
  const roles = [...(mods.get('roles') ?? []), ...(mods.get('role') ?? [])];
  switch (action) {
    case 'create': {
      const password = mods.get('password')?.[0] ?? (await askSecret(session, `Enter password for new user ${user}:`));
      if (typeof password !== 'string') return password;
      return run(c, `Successfully created user ${user}.`, (conn) => createUser(conn, user, password, roles));
    }
    case 'delete':
      return run(c, `Successfully deleted user ${user}.`, (conn) => dropUser(conn, user));
    case 'grant':
      if (roles.length === 0) return fail('Usage: manage acl grant user <username> roles <role1> [<role2> [...]]');
      return run(c, `Successfully granted roles to user ${user}.`, (conn) => grantRoles(conn, user, roles));
    default:
      if (roles.length === 0) return fail('Usage: manage acl revoke user <username> roles <role1> [<role2> [...]]');
      return run(c, `Successfully revoked roles from user ${user}.`, (conn) => revokeRoles(conn, user, roles));
  }
}

async function roleCommand(c: AdminCluster, action: string, words: string[]): Promise<AclResult> {
  const keywords = action === 'create' ? ['priv', 'ns', 'set', 'allow', 'read', 'write'] : ['priv', 'ns', 'set'];
  const { line, mods } = parseModifiers(words, keywords);
  // `priv read` / `priv write`: the privilege, not the quota modifier (asadm's own special case)
  const pi = words.indexOf('priv');
  if ((mods.get('priv') ?? []).length === 0 && pi >= 0 && ['read', 'write'].includes(words[pi + 1] ?? '')) {
    mods.set('priv', [words[pi + 1]!]);
  }
  const role = line[0];
  if (!role) return fail(`Usage: manage acl ${action} role <role-name>${action === 'delete' ? '' : ' priv <privilege> [ns <namespace> [set <set>]]'}`);
  if (action === 'delete') return run(c, `Successfully deleted role ${role}.`, (conn) => dropRole(conn, role));
  if (action === 'create') {
    const privs: PrivilegeSpec[] = [];
    if ((mods.get('priv') ?? []).length > 0) {
      const p = privilegeOf(mods);
      if (typeof p === 'string') return fail(p);
      privs.push(p);
    }
    const r = quota(mods.get('read')?.[0]);
    const w = quota(mods.get('write')?.[0]);
    if (r === 'bad' || w === 'bad') return fail('Quotas must be integers.');
    return run(c, `Successfully created role ${role}.`, (conn) => createRole(conn, role, privs, mods.get('allow') ?? [], r, w));
  }
  const p = privilegeOf(mods);
  if (typeof p === 'string') return fail(p);
  if (action === 'grant') return run(c, `Successfully granted privilege to role ${role}.`, (conn) => grantPrivileges(conn, role, [p]));
  return run(c, `Successfully revoked privilege from role ${role}.`, (conn) => revokePrivileges(conn, role, [p]));
}

/** `show users [<user>]`: asadm's Users sheet. */
export async function showUsers(c: AdminCluster, only?: string): Promise<AclResult> {
  try {
    const users = (await c.admin((conn) => queryUsers(conn, only))).sort((a, b) => a.user.localeCompare(b.user));
    const rows: Cell[][] = users.map((u) => [u.user, u.roles.length > 0 ? u.roles.join(',') : undefined, u.readInfo?.[0], u.writeInfo?.[0]]);
    return {
      out: renderTable('Users', ['User', 'Roles', { group: 'Read', columns: ['Quota'] }, { group: 'Write', columns: ['Quota'] }], rows, {
        description: "To see individual users metrics run 'show users statistics <username>'",
        alignRight: ['Roles'],
      }),
      failed: false,
    };
  } catch (e) {
    return e instanceof AdminError ? fail(e.message) : fail((e as Error).message);
  }
}

/**
 * asadm's Read/Write subgroup of `show users statistics` from a user's read-info or write-info
 * (quota, single-record TPS, records/s of its rps-limited scans and queries, count of its
 * limitless ones): Quota, Usage% ((TPS + limited RPS) / quota; none without a quota), Single
 * Record TPS, PI/SI Query Limited RPS, PI/SI Query Limitless.
 */
function quotaCells(info: number[] | undefined): Cell[] {
  if (!info) return [undefined, undefined, undefined, undefined, undefined];
  const [quota, tps, rps, limitless] = info;
  return [scientific(quota), usageRatio(info) === undefined ? undefined : pyPct(usageRatio(info)! * 100), scientific(tps), scientific(rps), scientific(limitless)];
}

/** (TPS + limited RPS) / quota; undefined without a quota (asadm divides by nothing then). */
function usageRatio(info: number[] | undefined): number | undefined {
  if (!info || !info[0]) return undefined;
  return ((info[1] ?? 0) + (info[2] ?? 0)) / info[0];
}

const QUOTA_COLUMNS = ['Quota', 'Usage%', 'Single Record TPS', 'PI/SI Query Limited RPS', 'PI/SI Query Limitless'];

/** One user's answer on one node. */
export interface UserOnNode {
  user: string;
  node: string;
  connections: number | undefined;
  readInfo: number[] | undefined;
  writeInfo: number[] | undefined;
}

/** The sum of the defined values, asadm's no-entry (`--`) when none is. */
function sumOf(values: (number | undefined)[]): Cell {
  const v = values.filter((x): x is number => x !== undefined);
  return v.length === 0 ? '--' : scientific(v.reduce((a, b) => a + b, 0));
}

/**
 * asadm's total row for one user's Read or Write subgroup: sums, and Usage% as the average of the
 * nodes' usage weighted by their quotas.
 */
function quotaTotals(infos: (number[] | undefined)[]): Cell[] {
  const col = (i: number) => sumOf(infos.map((x) => x?.[i]));
  const usage = infos.filter((x) => usageRatio(x) !== undefined) as number[][];
  const weights = usage.reduce((a, x) => a + x[0]!, 0);
  const avg = usage.length === 0 ? undefined : weights === 0 ? 0 : usage.reduce((a, x) => a + usageRatio(x)! * x[0]!, 0) / weights;
  return [col(0), avg === undefined ? '--' : pyPct(avg * 100), col(1), col(2), col(3)];
}

/**
 * `show users statistics [<user>]`: asadm's Users Statistics sheet, from QUERY_USERS asked of
 * every node (connections, quotas and usage are each node's own): one row per user and node,
 * ordered by user then node, and after each user's rows asadm's total row (connections, quotas
 * and rates summed; usage averaged weighted by quota). A node that cannot answer is named under
 * the table.
 */
export async function showUsersStatistics(c: AdminCluster, only?: string): Promise<AclResult> {
  const answers = await Promise.all(c.nodes.map((n) => c.adminOn(n, (conn) => queryUsers(conn, only)).catch((e: Error) => e)));
  const entries: UserOnNode[] = [];
  const errors: string[] = [];
  c.nodes.forEach((n, i) => {
    const a = answers[i]!;
    if (a instanceof Error) {
      errors.push(`${n.key}: ${a.message}`);
      return;
    }
    for (const u of a) entries.push({ user: u.user, node: n.key, connections: u.connections, readInfo: u.readInfo, writeInfo: u.writeInfo });
  });
  if (entries.length === 0) return fail(errors[0]?.replace(/^[^:]+:\d+: /, '') ?? 'no users');
  return { out: renderUsersStatistics(entries) + errors.map((e) => `ERROR: ${e}\n`).join(''), failed: errors.length > 0 };
}

/**
 * asadm's Users Statistics sheet of these per-node answers: rows ordered by user then node, each
 * user's total row after its rows.
 */
export function renderUsersStatistics(entries: UserOnNode[], opts: TableOptions = {}): string {
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  entries = [...entries].sort((a, b) => cmp(a.user, b.user) || cmp(a.node, b.node));
  const rows: Cell[][] = entries.map((e) => [e.user, e.node, scientific(e.connections), ...quotaCells(e.readInfo), ...quotaCells(e.writeInfo)]);
  const totals: { after: number; cells: Cell[] }[] = [];
  for (let i = 0; i < entries.length; i++) {
    const user = entries[i]!.user;
    if (entries[i + 1]?.user === user) continue;
    const group = entries.filter((e) => e.user === user);
    totals.push({
      after: i,
      cells: [user, undefined, sumOf(group.map((e) => e.connections)), ...quotaTotals(group.map((e) => e.readInfo)), ...quotaTotals(group.map((e) => e.writeInfo))],
    });
  }
  return renderTable('Users Statistics', ['User', 'Node', 'Connections', { group: 'Read', columns: QUOTA_COLUMNS }, { group: 'Write', columns: QUOTA_COLUMNS }], rows, { ...opts, totals });
}

/** `show roles [<role>]`: asadm's Roles sheet. */
export async function showRoles(c: AdminCluster, only?: string): Promise<AclResult> {
  try {
    const roles = (await c.admin((conn) => queryRoles(conn, only))).sort((a, b) => a.role.localeCompare(b.role));
    const rows: Cell[][] = roles.map((r) => [
      r.role,
      r.privileges.length > 0 ? r.privileges.map(privilegeText).join(',') : undefined,
      r.whitelist.length > 0 ? r.whitelist.join(',') : undefined,
      r.readQuota ? String(r.readQuota) : undefined,
      r.writeQuota ? String(r.writeQuota) : undefined,
    ]);
    return { out: renderTable('Roles', ['Role', 'Privileges', 'Allowlist', { group: 'Quotas', columns: ['Read', 'Write'] }], rows, { alignRight: ['Privileges', 'Allowlist'] }), failed: false };
  } catch (e) {
    return fail((e as Error).message);
  }
}
