/**
 * The single-record request as transactions see it: the protocol's decoded KeyedRequest with its
 * namespace resolved (protocol/request.ts decodes and validates the key fields once).
 */
import type { Namespace } from '../namespace/namespace.js';
import type { KeyedRequest, NamespaceResolver, UserKey } from '../protocol/request.js';

/** A single-record request whose namespace is this node's. */
export type TxRequest = KeyedRequest<Namespace>;

/** Finds a namespace by name (the node). */
export type NamespaceLookup = NamespaceResolver<Namespace>;

/** Whether a sent key conflicts with the stored one (KEY_MISMATCH). */
export function keyMismatch(sent: UserKey | undefined, stored: UserKey | undefined): boolean {
  if (!sent || !stored) return false;
  return sent.type !== stored.type || !sent.value.equals(stored.value);
}
