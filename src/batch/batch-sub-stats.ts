/** Per-namespace batch sub-transaction counters (batch_sub_read_success, ...), as Aerospike keeps. */
import type { NamespaceStats } from '../namespace/namespace.js';
import { FieldType, Info2, type AsMsg } from '../protocol/message.js';
import { ResultCode } from '../protocol/result-codes.js';

export function countBatchSub(stats: NamespaceStats, row: AsMsg, code: number): void {
  const filtered = code === ResultCode.FILTERED_OUT;
  const ok = code === ResultCode.OK;
  if (row.fields.some((f) => f.type === FieldType.UDF_FILENAME)) {
    if (ok) stats.batchSubUdfComplete++;
    else if (filtered) stats.batchSubUdfFilteredOut++;
    else stats.batchSubUdfError++;
  } else if (row.info2 & Info2.DELETE) {
    if (ok) stats.batchSubDeleteSuccess++;
    else if (filtered) stats.batchSubDeleteFilteredOut++;
    else if (code === ResultCode.NOT_FOUND) stats.batchSubDeleteNotFound++;
    else stats.batchSubDeleteError++;
  } else if (row.info2 & Info2.WRITE) {
    if (ok) stats.batchSubWriteSuccess++;
    else if (filtered) stats.batchSubWriteFilteredOut++;
    else stats.batchSubWriteError++;
  } else if (ok) stats.batchSubReadSuccess++;
  else if (filtered) stats.batchSubReadFilteredOut++;
  else if (code === ResultCode.NOT_FOUND) stats.batchSubReadNotFound++;
  else stats.batchSubReadError++;
}
