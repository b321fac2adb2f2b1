/**
 * The info protocol's text format (protocol reference §2.1): newline-separated commands in,
 * `<command>\t<value>\n` per command out, in request order, echoing each command verbatim.
 */
import { ProtoType, writeProtoHeader } from '../protocol/response-builder.js';

/** Longest info request body we parse; anything larger is answered with an error line. */
export const INFO_REQUEST_MAX_BYTES = 1024 * 1024;

export interface InfoCommand {
  /** the whole command text as received */
  text: string;
  /** the command name (before '/' or ':') */
  name: string;
  /** positional args after the name, split on '/' */
  args: string[];
  /** key=value parameters after ':' */
  params: Map<string, string>;
}

/** Splits a request body into commands; a missing final newline is tolerated. */
export function parseInfoRequest(body: Buffer): InfoCommand[] {
  const text = body.toString('utf8');
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.map(parseInfoCommand);
}

export function parseInfoCommand(text: string): InfoCommand {
  const colon = text.indexOf(':');
  const head = colon < 0 ? text : text.slice(0, colon);
  const [name = '', ...args] = head.split('/');
  const params = new Map<string, string>();
  if (colon >= 0) {
    for (const pair of text.slice(colon + 1).split(';')) {
      if (pair.length === 0) continue;
      const eq = pair.indexOf('=');
      if (eq < 0) params.set(pair, '');
      else params.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
  }
  return { text, name, args, params };
}

/** Builds the response frame from (command text, value) pairs. */
/** An info answer of one bare line (Aerospike answers an unauthenticated request with only its error). */
export function buildRawInfoResponse(line: string): Buffer {
  const body = `${line}\n`;
  const bytes = Buffer.byteLength(body);
  const out = Buffer.allocUnsafe(8 + bytes);
  writeProtoHeader(out, 0, ProtoType.INFO, bytes);
  out.write(body, 8, 'utf8');
  return out;
}

export function buildInfoResponse(lines: [string, string][]): Buffer {
  let body = '';
  for (const [cmd, value] of lines) body += `${cmd}\t${value}\n`;
  const bytes = Buffer.byteLength(body);
  const out = Buffer.allocUnsafe(8 + bytes);
  writeProtoHeader(out, 0, ProtoType.INFO, bytes);
  out.write(body, 8, 'utf8');
  return out;
}
