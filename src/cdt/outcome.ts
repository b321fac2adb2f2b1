/** What one list/map op did to its target container. */
import type { AsValue } from '../protocol/msgpack.js';
import type { Params } from './args.js';

export interface TargetOutcome {
  result: AsValue | undefined;
  /** the container after the op, when the op wrote it */
  written?: AsValue;
  /**
   * the empty container a creating op (append, put, set-type, ...) set up for a missing target; the
   * server keeps it when the bin was missing even if the op then changed nothing
   */
  placeholder?: AsValue;
  /** the op finished as a no-op that still materialises a container created through a context */
  touched?: boolean;
}

/** Lazily parsed arguments: the server reads them only after its early checks pass. */
export type ParamsThunk = () => Params;
