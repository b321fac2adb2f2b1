/**
 * One-shot info exchanges (protocol reference §2): open a connection, send the commands, close.
 * Used for cluster discovery, where a dead or silent address must cost a bounded time.
 */
import { WireConnection } from './wire-connection.js';

export interface Endpoint {
  host: string;
  port: number;
  /** the name the node's TLS certificate presents (TLS connections; from host:tlsname:port or peers-tls-std) */
  tlsName?: string | undefined;
}

/** `host:port`, with IPv6 hosts in brackets. */
export function endpointKey(ep: Endpoint): string {
  return ep.host.includes(':') ? `[${ep.host}]:${ep.port}` : `${ep.host}:${ep.port}`;
}

/** True for an info value that reports a failure (`ERROR:4:...`, `error`...). */
export function isInfoError(value: string | undefined): boolean {
  return value === undefined || /^error/i.test(value);
}

/** Sends `commands` to `ep`; rejects when no complete answer arrives within `timeoutMs`. */
export async function infoRequest(ep: Endpoint, commands: string[], timeoutMs: number): Promise<Map<string, string>> {
  const conn = await WireConnection.open(ep.host, ep.port, timeoutMs, ep.tlsName);
  // WireConnection has no request deadline: closing it fails the pending request
  let timedOut = false;
  const timer = setTimeout(() => ((timedOut = true), conn.close()), timeoutMs);
  try {
    return await conn.info(commands);
  } catch (e) {
    throw timedOut ? new Error(`info request to ${endpointKey(ep)} timed out after ${timeoutMs} ms`) : e;
  } finally {
    clearTimeout(timer);
    conn.close();
  }
}
