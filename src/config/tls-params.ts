/**
 * `network { tls <name> { } }` (Aerospike EE): the parameters of one TLS context, with 8.1's names
 * and defaults. The files named here are read when the node starts (`src/server/tls-contexts.ts`).
 */
import type { TlsConfig } from './model.js';
import { boolParam, fieldsOf, ParamTable, stringParam, type ParamSpec } from './param-spec.js';
import { fail, ok, type Parsed } from './values.js';

/** Longest path or secret reference accepted (PATH_MAX). */
const PATH_MAX_BYTES = 4095;

const t = fieldsOf<TlsConfig>();
const path = { maxBytes: PATH_MAX_BYTES };

export const TLS_PARAMS = new ParamTable<TlsConfig>([
  stringParam('ca-file', t('caFile'), path),
  stringParam('ca-path', t('caPath'), path),
  stringParam('cert-blacklist', t('certBlacklist'), path),
  stringParam('cert-file', t('certFile'), path),
  stringParam('cipher-suite', t('cipherSuite'), { maxBytes: PATH_MAX_BYTES }),
  stringParam('key-file', t('keyFile'), path),
  stringParam('key-file-password', t('keyFilePassword'), path),
  boolParam('pki-user-append-ou', t('pkiUserAppendOu')),
  protocolsParam(),
]);

/** `protocols`: one or more words (`TLSv1.2 TLSv1.3`, `-all +TLSv1.3`), kept as one string. */
function protocolsParam(): ParamSpec<TlsConfig> {
  return {
    key: 'protocols',
    aliases: [],
    repeatable: false,
    dynamic: false,
    parse(tokens): Parsed<string> {
      if (tokens.length === 0) return fail('needs a value');
      const text = tokens.join(' ');
      return text.length > 255 ? fail('must be at most 255 bytes long') : ok(text);
    },
    parseDynamic: () => fail('is not dynamic'),
    apply(target, value) {
      target.protocols = value as string;
      return undefined;
    },
    render: (target) => [['protocols', target.protocols]],
  };
}

/** A `tls <name>` stanza with nothing set. */
export function newTlsConfig(name: string, file: string, line: number): TlsConfig {
  return { name, protocols: 'TLSv1.2', pkiUserAppendOu: false, source: { file, line, keyLines: {} } };
}
