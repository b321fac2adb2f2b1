/**
 * The parts of a single-record request every transaction needs: which namespace, which record
 * (digest), which set, the user key if sent. Validated once, with Aerospike's result codes.
 */
import type { Namespace } from '../namespace/namespace.js';
import { AsError, ResultCode } from '../protocol/result-codes.js';
import {
  FieldType,
  isUtf8Bytes,
  MAX_NAMESPACE_NAME_BYTES,
  MAX_SET_NAME_BYTES,
  type AsMsg,
  type MsgField,
} from '../protocol/message.js';
import { Particle } from '../protocol/particle.js';
import type { StoredKey } from '../storage/record-codec.js';

export interface KeyedRequest {
  ns: Namespace;
  /** view of the 20 digest bytes in the request */
  digest: Buffer;
  setName: string;
  key: StoredKey | undefined;
  filter: MsgField | undefined;
}

export interface NamespaceLookup {
  namespace(name: string): Namespace | undefined;
}

export function resolveKeyed(node: NamespaceLookup, msg: AsMsg): KeyedRequest {
  let nsField: MsgField | undefined;
  let digestField: MsgField | undefined;
  let setField: MsgField | undefined;
  let keyField: MsgField | undefined;
  let filter: MsgField | undefined;
  for (const f of msg.fields) {
    switch (f.type) {
      case FieldType.NAMESPACE:
        nsField = f;
        break;
      case FieldType.DIGEST:
        digestField = f;
        break;
      case FieldType.SET:
        setField = f;
        break;
      case FieldType.KEY:
        keyField = f;
        break;
      case FieldType.FILTER:
        filter = f;
        break;
    }
  }
  const buf = msg.buf;
  if (!nsField) throw new AsError(ResultCode.NAMESPACE, 'no namespace');
  const nsLen = nsField.end - nsField.start;
  if (nsLen === 0 || nsLen > MAX_NAMESPACE_NAME_BYTES) throw new AsError(ResultCode.NAMESPACE);
  const ns = node.namespace(buf.toString('utf8', nsField.start, nsField.end));
  if (!ns) throw new AsError(ResultCode.NAMESPACE);
  if (!digestField || digestField.end - digestField.start !== 20) {
    throw new AsError(ResultCode.PARAMETER, 'bad digest');
  }
  let setName = '';
  if (setField) {
    if (setField.end - setField.start > MAX_SET_NAME_BYTES) throw new AsError(ResultCode.PARAMETER, 'set name too long');
    // set names are strings: bytes that are not UTF-8 would be rewritten, so they are refused
    if (!isUtf8Bytes(buf, setField.start, setField.end - setField.start)) throw new AsError(ResultCode.PARAMETER, 'set name is not valid UTF-8');
    setName = buf.toString('utf8', setField.start, setField.end);
  }
  let key: StoredKey | undefined;
  if (keyField && keyField.end > keyField.start) {
    const type = buf[keyField.start]!;
    const value = buf.subarray(keyField.start + 1, keyField.end);
    if (type === Particle.INTEGER && value.length !== 8) {
      throw new AsError(ResultCode.UNSUPPORTED_FEATURE, 'integer key must be 8 bytes');
    }
    if (type === Particle.FLOAT && value.length !== 8) {
      throw new AsError(ResultCode.UNSUPPORTED_FEATURE, 'double key must be 8 bytes');
    }
    key = { type, value };
  }
  return { ns, digest: buf.subarray(digestField.start, digestField.end), setName, key, filter };
}

/** Whether a sent key conflicts with the stored one (KEY_MISMATCH). */
export function keyMismatch(sent: StoredKey | undefined, stored: StoredKey | undefined): boolean {
  if (!sent || !stored) return false;
  return sent.type !== stored.type || !sent.value.equals(stored.value);
}
