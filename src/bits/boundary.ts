/**
 * What the bit and HLL engines share at their public boundary: the guarantee that callers only ever
 * see AsError, and the re-encoding of evaluated call arguments into the wire payload form.
 */
import { MsgpackError, pack, type AsValue } from '../protocol/msgpack.js';
import { AsError, ResultCode } from '../protocol/result-codes.js';

/**
 * Re-encodes an evaluated call as a wire payload so it goes through the one parser the wire uses.
 */
export function encodeCall(code: number, args: AsValue[]): Buffer {
  if (!Number.isSafeInteger(code)) throw new AsError(ResultCode.PARAMETER, 'op code must be an integer');
  try {
    return pack([BigInt(code), ...args]);
  } catch (e) {
    if (e instanceof MsgpackError) throw new AsError(ResultCode.PARAMETER, e.message);
    throw e;
  }
}

/**
 * The module boundary: callers get AsError and nothing else. Anything else is a bug here; it is
 * reported as UNKNOWN (what Aerospike answers for internal failures) rather than escaping as a
 * crash of the request path. Tests assert it never happens.
 */
export function asErrorsOnly<T>(run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof AsError) throw e;
    if (e instanceof MsgpackError) throw new AsError(ResultCode.PARAMETER, e.message);
    throw new AsError(ResultCode.UNKNOWN, `internal error: ${e instanceof Error ? e.message : String(e)}`);
  }
}
