/** The worker thread side of in-worker.ts: imports the module once, then answers each call. */
import { parentPort, workerData } from 'node:worker_threads';
import type { WorkerAnswer, WorkerCall } from './in-worker.js';

const { moduleUrl } = workerData as { moduleUrl: string };
const mod = (await import(moduleUrl)) as Record<string, (...a: unknown[]) => unknown>;

parentPort!.on('message', async ({ id, fn, args }: WorkerCall) => {
  let answer: WorkerAnswer;
  try {
    const f = mod[fn];
    if (typeof f !== 'function') throw new Error(`${moduleUrl} exports no function ${fn}`);
    answer = { id, ok: true, value: await f(...args) };
  } catch (e) {
    answer = { id, ok: false, message: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined };
  }
  parentPort!.postMessage(answer);
});
