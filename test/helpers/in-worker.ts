/**
 * A worker thread that runs exported functions of one test module and answers with what they
 * return (structured-cloned) or their error. For long pure computations (the cluster runtime
 * simulation): node:test tracks every async resource of the test's own thread with async hooks,
 * which made each promise of a simulation about a tenth more expensive; a worker has none. One
 * worker serves every call of a file (the module loads once). It is registered with the cleanup
 * net, so a test that fails or times out never leaves it running; close it in `after`.
 */
import { Worker } from 'node:worker_threads';
import { trackResource } from './cleanup.js';

const ENTRY = new URL('./worker-entry.js', import.meta.url);

/** A call to the worker and its answer (worker-entry.ts). */
export interface WorkerCall {
  id: number;
  fn: string;
  args: unknown[];
}
export type WorkerAnswer = { id: number; ok: true; value: unknown } | { id: number; ok: false; message: string; stack: string | undefined };

export class ModuleWorker {
  private readonly worker: Worker;
  private readonly untrack: () => void;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private exited: Error | undefined;

  /** Starts a worker that imports the module at `moduleUrl`. */
  constructor(moduleUrl: URL) {
    this.worker = new Worker(ENTRY, { workerData: { moduleUrl: moduleUrl.href } });
    this.untrack = trackResource(`worker of ${moduleUrl.pathname}`, () => this.worker.terminate());
    this.worker.on('message', (a: WorkerAnswer) => {
      const p = this.pending.get(a.id);
      this.pending.delete(a.id);
      if (!p) return;
      if (a.ok) p.resolve(a.value);
      else p.reject(Object.assign(new Error(a.message), { stack: a.stack ?? a.message }));
    });
    const fail = (e: Error) => {
      this.exited = e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => {
      this.untrack();
      fail(new Error(`worker of ${moduleUrl.pathname} exited with ${code}`));
    });
  }

  /** Calls the module's exported `fn` with `args` in the worker. */
  call<T>(fn: string, args: unknown[]): Promise<T> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, fn, args } satisfies WorkerCall);
    });
  }

  /** Stops the worker. */
  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
