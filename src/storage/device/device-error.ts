/** An engine error carrying the result code the client should get. */
import { AsError } from '../../protocol/result-codes.js';

export class DeviceError extends AsError {}
