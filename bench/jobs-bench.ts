/**
 * Query-job bench: a background write job and an aggregation (map + reduce) over one set of
 * BENCH_JOB_RECORDS records (default 100000, 100-byte records). Prints records/s of each. The
 * background job runs unthrottled (background-query-max-rps raised to its maximum for the run).
 * Bounded: the job is polled for at most 60 s.
 */
import { startBenchServer } from './strato-server.js';
import { WireConnection } from '../src/client/wire-connection.js';
import { encodeMessage, encodePut } from '../src/client/message-encoder.js';
import { computeDigest } from '../src/util/digest.js';
import { FieldType } from '../src/protocol/message.js';

const LUA = `
local function add(a, b) return a + b end
function sum_n(stream) return stream : map(function(rec) return rec['n'] end) : reduce(add) end
`;

function int64(v: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(v));
  return b;
}

export async function runJobsBench(): Promise<string[]> {
  const records = Number(process.env['BENCH_JOB_RECORDS'] ?? 100_000);
  const server = await startBenchServer();
  const lines: string[] = [];
  try {
    const loaders = await Promise.all(Array.from({ length: 8 }, () => WireConnection.open('127.0.0.1', server.port)));
    const pad = Buffer.alloc(80, 0x61);
    await Promise.all(
      loaders.map(async (c, w) => {
        for (let k = w; k < records; k += loaders.length) {
          const digest = computeDigest('jbench', 1, int64(k));
          await c.request(encodePut('test', 'jbench', digest, [{ name: 'n', type: 1, value: int64(k) }, { name: 'p', type: 3, value: pad }]));
        }
        c.close();
      }),
    );
    const conn = await WireConnection.open('127.0.0.1', server.port);
    await conn.info(['set-config:context=namespace;id=test;background-query-max-rps=1000000']);
    const content = Buffer.from(LUA).toString('base64');
    const put = await conn.info([`udf-put:filename=jbench.lua;content=${content};content-len=${content.length};udf-type=LUA;`]);
    const putAnswer = [...put.values()][0] ?? '';
    if (putAnswer !== 'ok' && putAnswer !== '') throw new Error(`udf-put: ${putAnswer}`);

    // background write: every record gets bin b = 1
    const trid = 424242n;
    const tridBuf = Buffer.alloc(8);
    tridBuf.writeBigUInt64BE(trid);
    const t0 = Date.now();
    await conn.request(
      encodeMessage(
        { info2: 1 },
        [
          { type: FieldType.NAMESPACE, data: Buffer.from('test') },
          { type: FieldType.SET, data: Buffer.from('jbench') },
          { type: FieldType.TRID, data: tridBuf },
        ],
        [{ op: 2, type: 1, name: 'b', value: int64(1) }],
      ),
    );
    let done = false;
    while (!done && Date.now() - t0 < 60_000) {
      const show = (await conn.info([`query-show:trid=${trid}`])).get(`query-show:trid=${trid}`) ?? '';
      done = /status=done/.test(show);
      if (!done) await new Promise((r) => setTimeout(r, 20));
    }
    const bgSec = (Date.now() - t0) / 1000;
    lines.push(`background write job over ${records} records: ${done ? Math.round(records / bgSec) : 'unfinished in 60 s,'} records/s (${bgSec.toFixed(2)} s)`);

    // aggregation: sum of n, twice (the first run also creates the Lua state and warms the JIT)
    const rates: string[] = [];
    for (let run = 0; run < 2; run++) {
      const t1 = Date.now();
      let failure = '';
      await conn.stream(
        encodeMessage(
          { info1: 1, info3: 4 },
          [
            { type: FieldType.NAMESPACE, data: Buffer.from('test') },
            { type: FieldType.SET, data: Buffer.from('jbench') },
            { type: FieldType.UDF_OP, data: Buffer.from([1]) },
            { type: FieldType.UDF_FILENAME, data: Buffer.from('jbench') },
            { type: FieldType.UDF_FUNCTION, data: Buffer.from('sum_n') },
            { type: FieldType.UDF_ARGLIST, data: Buffer.from([0x90]) },
          ],
          [],
        ),
        (body, p, end) => {
          // one op per message: header 22, op header 8, then the 7-byte name SUCCESS or FAILURE
          if (body.toString('utf8', p + 30, p + 37) === 'FAILURE') failure = body.toString('utf8', p + 37, end);
        },
      );
      if (failure) throw new Error(`aggregation failed: ${failure}`);
      rates.push(String(Math.round(records / ((Date.now() - t1) / 1000))));
    }
    lines.push(`aggregation (map + reduce) over ${records} records: ${rates.join(' / ')} records/s (first run / second run)`);
    conn.close();
  } finally {
    await server.stop();
  }
  return lines;
}
