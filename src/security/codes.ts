/**
 * Admin protocol (proto type 2) numbers, as the official clients send and read them (Aerospike
 * client C `as_admin.c`, Java `AdminCommand`): commands, field ids, privilege codes, result codes.
 */

/** Admin commands (byte 2 of the 16-byte admin header). */
export const AdminCommand = {
  AUTHENTICATE: 0,
  CREATE_USER: 1,
  DROP_USER: 2,
  SET_PASSWORD: 3,
  CHANGE_PASSWORD: 4,
  GRANT_ROLES: 5,
  REVOKE_ROLES: 6,
  QUERY_USERS: 9,
  CREATE_ROLE: 10,
  DROP_ROLE: 11,
  GRANT_PRIVILEGES: 12,
  REVOKE_PRIVILEGES: 13,
  SET_WHITELIST: 14,
  SET_QUOTAS: 15,
  QUERY_ROLES: 16,
  LOGIN: 20,
} as const;

/** Admin field ids (`[len:4][id:1][data]`, len counts the id byte). */
export const AdminField = {
  USER: 0,
  PASSWORD: 1,
  OLD_PASSWORD: 2,
  CREDENTIAL: 3,
  CLEAR_PASSWORD: 4,
  SESSION_TOKEN: 5,
  SESSION_TTL: 6,
  ROLES: 10,
  ROLE: 11,
  PRIVILEGES: 12,
  WHITELIST: 13,
  READ_QUOTA: 14,
  WRITE_QUOTA: 15,
  READ_INFO: 16,
  WRITE_INFO: 17,
  CONNECTIONS: 18,
} as const;

/** Privilege codes; codes from READ up may carry a namespace and set scope. */
export const Priv = {
  USER_ADMIN: 0,
  SYS_ADMIN: 1,
  DATA_ADMIN: 2,
  UDF_ADMIN: 3,
  SINDEX_ADMIN: 4,
  READ: 10,
  READ_WRITE: 11,
  READ_WRITE_UDF: 12,
  WRITE: 13,
  TRUNCATE: 14,
} as const;

/** First privilege code that may be scoped to a namespace (and set). */
export const FIRST_SCOPED_PRIV = Priv.READ;

/** Privilege names as Aerospike spells them (asadm, predefined role names). */
export const PRIV_NAMES: ReadonlyMap<number, string> = new Map([
  [Priv.USER_ADMIN, 'user-admin'],
  [Priv.SYS_ADMIN, 'sys-admin'],
  [Priv.DATA_ADMIN, 'data-admin'],
  [Priv.UDF_ADMIN, 'udf-admin'],
  [Priv.SINDEX_ADMIN, 'sindex-admin'],
  [Priv.READ, 'read'],
  [Priv.READ_WRITE, 'read-write'],
  [Priv.READ_WRITE_UDF, 'read-write-udf'],
  [Priv.WRITE, 'write'],
  [Priv.TRUNCATE, 'truncate'],
]);

/** Security result codes (the clients' as_status / ResultCode values). */
export const SecResult = {
  OK: 0,
  QUERY_END: 50,
  SECURITY_NOT_SUPPORTED: 51,
  SECURITY_NOT_ENABLED: 52,
  INVALID_COMMAND: 54,
  INVALID_FIELD: 55,
  INVALID_USER: 60,
  USER_ALREADY_EXISTS: 61,
  INVALID_PASSWORD: 62,
  INVALID_CREDENTIAL: 65,
  EXPIRED_SESSION: 66,
  INVALID_ROLE: 70,
  ROLE_ALREADY_EXISTS: 71,
  INVALID_PRIVILEGE: 72,
  INVALID_WHITELIST: 73,
  QUOTAS_NOT_ENABLED: 74,
  INVALID_QUOTA: 75,
  NOT_AUTHENTICATED: 80,
  ROLE_VIOLATION: 81,
  NOT_WHITELISTED: 82,
  QUOTA_EXCEEDED: 83,
} as const;
