/**
 * The admin protocol (proto type 2) as a client speaks it: user and role commands and the
 * QUERY_USERS / QUERY_ROLES answers. A message is the 8-byte proto header, a 16-byte admin header
 * (result at byte 1, command at byte 2, field count at byte 3) and fields `[len:4][id:1][data]`
 * (len counts the id byte). Passwords travel as the clients' bcrypt credential, never in clear.
 * Query answers are a run of blocks, possibly over several frames, ended by a block whose result
 * is QUERY_END (50) or an error.
 */
import { AdminCommand as Cmd, AdminField as F, FIRST_SCOPED_PRIV, PRIV_NAMES, SecResult as R } from '../security/codes.js';
import { clientCredential } from '../security/credential.js';
import type { WireConnection } from './wire-connection.js';

const ADMIN_HEADER_BYTES = 16;
/** Most answer bytes a user or role query may return before the tool gives up (a bound, not a limit the server sets). */
export const ADMIN_QUERY_MAX_BYTES = 16 * 1024 * 1024;

/** A privilege as asadm writes it: `read-write.test.people`, `sys-admin`. */
export interface PrivilegeSpec {
  name: string;
  ns: string;
  set: string;
}

export interface UserInfo {
  user: string;
  roles: string[];
  /** [quota, single-record TPS, scan/query RPS limited, scan/query limitless], as the server sends */
  readInfo: number[] | undefined;
  writeInfo: number[] | undefined;
  connections: number | undefined;
}

export interface RoleInfo {
  role: string;
  privileges: PrivilegeSpec[];
  whitelist: string[];
  readQuota: number | undefined;
  writeQuota: number | undefined;
}

/** A failed admin command: the result code and asadm's wording of it. */
export class AdminError extends Error {
  constructor(
    readonly what: string,
    readonly resultCode: number,
  ) {
    super(`${what} : ${resultText(resultCode)}.`);
  }
}

const RESULT_TEXT: ReadonlyMap<number, string> = new Map([
  [1, 'Unknown server error'],
  [R.SECURITY_NOT_SUPPORTED, 'Security not supported'],
  [R.SECURITY_NOT_ENABLED, 'Security not enabled'],
  [R.INVALID_COMMAND, 'Invalid command'],
  [R.INVALID_FIELD, 'Unrecognized field id'],
  [R.INVALID_USER, 'No user or unrecognized user'],
  [R.USER_ALREADY_EXISTS, 'User already exists'],
  [R.INVALID_PASSWORD, 'No password or bad password'],
  [R.INVALID_CREDENTIAL, 'No credential or bad credential'],
  [R.EXPIRED_SESSION, 'Expired session'],
  [R.INVALID_ROLE, 'No role or invalid role'],
  [R.ROLE_ALREADY_EXISTS, 'Role already exists'],
  [R.INVALID_PRIVILEGE, 'No privileges or unrecognized privileges'],
  [R.INVALID_WHITELIST, 'Bad whitelist'],
  [R.QUOTAS_NOT_ENABLED, 'Quotas not enabled'],
  [R.INVALID_QUOTA, 'Bad rate quota'],
  [R.NOT_AUTHENTICATED, 'Not authenticated'],
  [R.ROLE_VIOLATION, 'Role or privilege violation'],
  [R.NOT_WHITELISTED, 'Not whitelisted'],
  [R.QUOTA_EXCEEDED, 'Rate quota exceeded'],
]);

/** asadm's wording of an admin result code (`Role already exists`, `Error response code (9)`). */
export function resultText(code: number): string {
  return RESULT_TEXT.get(code) ?? `Error response code (${code})`;
}

const PRIV_CODES: ReadonlyMap<string, number> = new Map([...PRIV_NAMES].map(([code, name]) => [name, code]));

/** Parses `read-write.test.people`; undefined when the privilege name is unknown. */
export function parsePrivilege(text: string): PrivilegeSpec | undefined {
  const [name, ns = '', set = ''] = text.split('.');
  if (name === undefined || !PRIV_CODES.has(name)) return undefined;
  return { name, ns, set };
}

/** `read-write.test.people` as asadm prints a privilege. */
export function privilegeText(p: PrivilegeSpec): string {
  return [p.name, p.ns, p.ns ? p.set : ''].filter((s) => s !== '').join('.');
}

type FieldValue = Buffer;

function field(id: number, data: FieldValue): Buffer {
  const h = Buffer.alloc(5);
  h.writeUInt32BE(data.length + 1);
  h[4] = id;
  return Buffer.concat([h, data]);
}

function names(list: string[]): Buffer {
  const parts = [Buffer.from([list.length])];
  for (const n of list) {
    const b = Buffer.from(n);
    parts.push(Buffer.from([b.length]), b);
  }
  return Buffer.concat(parts);
}

function privileges(list: PrivilegeSpec[]): Buffer {
  const parts = [Buffer.from([list.length])];
  for (const p of list) {
    const code = PRIV_CODES.get(p.name)!;
    parts.push(Buffer.from([code]));
    if (code >= FIRST_SCOPED_PRIV) {
      const ns = Buffer.from(p.ns);
      const set = Buffer.from(p.set);
      parts.push(Buffer.from([ns.length]), ns, Buffer.from([set.length]), set);
    }
  }
  return Buffer.concat(parts);
}

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
}

/** One admin request frame. */
function request(command: number, fields: Buffer[]): Buffer {
  const body = Buffer.concat([Buffer.alloc(ADMIN_HEADER_BYTES), ...fields]);
  body[2] = command;
  body[3] = fields.length;
  const h = Buffer.alloc(8);
  h[0] = 2;
  h[1] = 2;
  h.writeUIntBE(body.length, 2, 6);
  return Buffer.concat([h, body]);
}

interface Block {
  result: number;
  fields: Map<number, Buffer>;
}

/** Sends a request and reads its blocks until the one that ends it (any block for a command, QUERY_END or an error for a query). */
async function exchange(conn: WireConnection, frame: Buffer, query: boolean): Promise<Block[]> {
  const blocks: Block[] = [];
  let total = 0;
  let bad: Error | undefined;
  await conn.frames(frame, (body) => {
    total += body.length;
    if (total > ADMIN_QUERY_MAX_BYTES) {
      bad = new Error(`admin answer larger than ${ADMIN_QUERY_MAX_BYTES} bytes`);
      return true;
    }
    let p = 0;
    while (p + ADMIN_HEADER_BYTES <= body.length) {
      const result = body[p + 1]!;
      const count = body[p + 3]!;
      p += ADMIN_HEADER_BYTES;
      const fields = new Map<number, Buffer>();
      for (let i = 0; i < count; i++) {
        if (p + 5 > body.length) {
          bad = new Error('truncated admin answer');
          return true;
        }
        const len = body.readUInt32BE(p);
        if (len < 1 || p + 4 + len > body.length) {
          bad = new Error('truncated admin answer');
          return true;
        }
        fields.set(body[p + 4]!, body.subarray(p + 5, p + 4 + len));
        p += 4 + len;
      }
      blocks.push({ result, fields });
      if (!query || result !== R.OK) return true;
    }
    return false;
  });
  if (bad) throw bad;
  return blocks;
}

/** Runs a command that answers one result code; throws AdminError naming `what` on failure. */
async function command(conn: WireConnection, what: string, cmd: number, fields: Buffer[]): Promise<void> {
  const [block] = await exchange(conn, request(cmd, fields), false);
  const code = block?.result ?? 1;
  if (code !== R.OK) throw new AdminError(what, code);
}

const str = (s: string) => Buffer.from(s);

export function createUser(conn: WireConnection, user: string, password: string, roles: string[]): Promise<void> {
  return command(conn, 'Failed to create user', Cmd.CREATE_USER, [field(F.USER, str(user)), field(F.PASSWORD, str(clientCredential(password))), field(F.ROLES, names(roles))]);
}

export function dropUser(conn: WireConnection, user: string): Promise<void> {
  return command(conn, 'Failed to delete user', Cmd.DROP_USER, [field(F.USER, str(user))]);
}

export function setPassword(conn: WireConnection, user: string, password: string): Promise<void> {
  return command(conn, 'Failed to set password', Cmd.SET_PASSWORD, [field(F.USER, str(user)), field(F.PASSWORD, str(clientCredential(password)))]);
}

export function changePassword(conn: WireConnection, user: string, oldPassword: string, password: string): Promise<void> {
  return command(conn, 'Failed to change password', Cmd.CHANGE_PASSWORD, [
    field(F.USER, str(user)),
    field(F.OLD_PASSWORD, str(clientCredential(oldPassword))),
    field(F.PASSWORD, str(clientCredential(password))),
  ]);
}

export function grantRoles(conn: WireConnection, user: string, roles: string[]): Promise<void> {
  return command(conn, 'Failed to grant roles', Cmd.GRANT_ROLES, [field(F.USER, str(user)), field(F.ROLES, names(roles))]);
}

export function revokeRoles(conn: WireConnection, user: string, roles: string[]): Promise<void> {
  return command(conn, 'Failed to revoke roles', Cmd.REVOKE_ROLES, [field(F.USER, str(user)), field(F.ROLES, names(roles))]);
}

export function createRole(conn: WireConnection, role: string, privs: PrivilegeSpec[], whitelist: string[], readQuota?: number, writeQuota?: number): Promise<void> {
  const fields = [field(F.ROLE, str(role))];
  if (privs.length > 0) fields.push(field(F.PRIVILEGES, privileges(privs)));
  if (whitelist.length > 0) fields.push(field(F.WHITELIST, str(whitelist.join(','))));
  if (readQuota !== undefined) fields.push(field(F.READ_QUOTA, u32(readQuota)));
  if (writeQuota !== undefined) fields.push(field(F.WRITE_QUOTA, u32(writeQuota)));
  return command(conn, 'Failed to create role', Cmd.CREATE_ROLE, fields);
}

export function dropRole(conn: WireConnection, role: string): Promise<void> {
  return command(conn, 'Failed to delete role', Cmd.DROP_ROLE, [field(F.ROLE, str(role))]);
}

export function grantPrivileges(conn: WireConnection, role: string, privs: PrivilegeSpec[]): Promise<void> {
  return command(conn, 'Failed to grant privilege', Cmd.GRANT_PRIVILEGES, [field(F.ROLE, str(role)), field(F.PRIVILEGES, privileges(privs))]);
}

export function revokePrivileges(conn: WireConnection, role: string, privs: PrivilegeSpec[]): Promise<void> {
  return command(conn, 'Failed to revoke privilege', Cmd.REVOKE_PRIVILEGES, [field(F.ROLE, str(role)), field(F.PRIVILEGES, privileges(privs))]);
}

/** Replaces a role's allowlist; an empty list clears it. */
export function setWhitelist(conn: WireConnection, role: string, whitelist: string[]): Promise<void> {
  const fields = [field(F.ROLE, str(role))];
  if (whitelist.length > 0) fields.push(field(F.WHITELIST, str(whitelist.join(','))));
  return command(conn, whitelist.length > 0 ? 'Failed to set allowlist' : 'Failed to delete allowlist', Cmd.SET_WHITELIST, fields);
}

export function setQuotas(conn: WireConnection, role: string, readQuota?: number, writeQuota?: number): Promise<void> {
  const fields = [field(F.ROLE, str(role))];
  if (readQuota !== undefined) fields.push(field(F.READ_QUOTA, u32(readQuota)));
  if (writeQuota !== undefined) fields.push(field(F.WRITE_QUOTA, u32(writeQuota)));
  return command(conn, 'Failed to set quotas', Cmd.SET_QUOTAS, fields);
}

function readNames(b: Buffer): string[] {
  const out: string[] = [];
  let p = 1;
  for (let i = 0; i < (b[0] ?? 0) && p < b.length; i++) {
    const len = b[p]!;
    out.push(b.toString('utf8', p + 1, p + 1 + len));
    p += 1 + len;
  }
  return out;
}

function readInts(b: Buffer | undefined): number[] | undefined {
  if (!b || b.length < 1) return undefined;
  const out: number[] = [];
  for (let i = 0; i < b[0]! && 1 + 4 * i + 4 <= b.length; i++) out.push(b.readUInt32BE(1 + 4 * i));
  return out;
}

function readPrivileges(b: Buffer): PrivilegeSpec[] {
  const out: PrivilegeSpec[] = [];
  let p = 1;
  for (let i = 0; i < (b[0] ?? 0) && p < b.length; i++) {
    const code = b[p++]!;
    let ns = '';
    let set = '';
    if (code >= FIRST_SCOPED_PRIV) {
      const nl = b[p]!;
      ns = b.toString('utf8', p + 1, p + 1 + nl);
      p += 1 + nl;
      const sl = b[p]!;
      set = b.toString('utf8', p + 1, p + 1 + sl);
      p += 1 + sl;
    }
    out.push({ name: PRIV_NAMES.get(code) ?? `unknown-${code}`, ns, set });
  }
  return out;
}

function endOf(blocks: Block[], what: string): Block[] {
  const last = blocks[blocks.length - 1];
  if (last && last.result !== R.OK && last.result !== R.QUERY_END) throw new AdminError(what, last.result);
  return blocks.filter((b) => b.result === R.OK);
}

/** Every user (or one), as QUERY_USERS answers. */
export async function queryUsers(conn: WireConnection, user?: string): Promise<UserInfo[]> {
  const blocks = await exchange(conn, request(Cmd.QUERY_USERS, user === undefined ? [] : [field(F.USER, str(user))]), true);
  return endOf(blocks, user === undefined ? 'Failed to query users' : 'Failed to query user').map((b) => ({
    user: b.fields.get(F.USER)?.toString('utf8') ?? '',
    roles: b.fields.has(F.ROLES) ? readNames(b.fields.get(F.ROLES)!) : [],
    readInfo: readInts(b.fields.get(F.READ_INFO)),
    writeInfo: readInts(b.fields.get(F.WRITE_INFO)),
    connections: b.fields.get(F.CONNECTIONS)?.readUInt32BE(0),
  }));
}

/** Every role (or one), predefined ones included, as QUERY_ROLES answers. */
export async function queryRoles(conn: WireConnection, role?: string): Promise<RoleInfo[]> {
  const blocks = await exchange(conn, request(Cmd.QUERY_ROLES, role === undefined ? [] : [field(F.ROLE, str(role))]), true);
  return endOf(blocks, role === undefined ? 'Failed to query roles' : 'Failed to query role').map((b) => {
    const wl = b.fields.get(F.WHITELIST)?.toString('utf8');
    return {
      role: b.fields.get(F.ROLE)?.toString('utf8') ?? '',
      privileges: b.fields.has(F.PRIVILEGES) ? readPrivileges(b.fields.get(F.PRIVILEGES)!) : [],
      whitelist: wl ? wl.split(',') : [],
      readQuota: b.fields.get(F.READ_QUOTA)?.readUInt32BE(0),
      writeQuota: b.fields.get(F.WRITE_QUOTA)?.readUInt32BE(0),
    };
  });
}
