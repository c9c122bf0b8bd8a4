/**
 * A pool of worker threads, one per core by default, that run exported functions of TypeScript
 * modules: the local Lambda containers (aws/lambda-worker-pool.ts) and the in-process engine's
 * map tasks both run on it, so every core parses ranges. Calls queue for a free worker.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { workerModule } from "./worker-bundles";

export interface WorkerPool {
  /**
   * Runs `name(payload)` exported by the module at `moduleUrl` on a free worker. A call still
   * running after `timeoutMs` ends its worker and fails with Sandbox.Timedout, as on Lambda.
   */
  run<T>(moduleUrl: string, name: string, payload: unknown, options?: { timeoutMs?: number }): Promise<T>;
  readonly size: number;
  close(): Promise<void>;
}

/** An error thrown inside a worker, with its own name (e.g. InputRejectedError) and stack. */
export class WorkerCallError extends Error {
  constructor(error: { name: string; message: string; stack?: string }) {
    super(error.message);
    this.name = error.name;
    if (error.stack !== undefined) this.stack = error.stack;
  }
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

interface Reply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: { name: string; message: string; stack?: string };
}

export function startWorkerPool(
  options: { size?: number; environment?: Record<string, string> } = {},
): WorkerPool {
  const size = Math.max(1, options.size ?? availableParallelism());
  const workers = new Set<Worker>();
  const idle: Worker[] = [];
  const waiting: ((w: Worker) => void)[] = [];
  const pending = new Map<number, Pending>();
  const busyWith = new Map<Worker, number>();
  const timedOutAfter = new Map<Worker, number>();
  let nextId = 0;
  let closing = false;
  const release = (worker: Worker) => {
    busyWith.delete(worker);
    const next = waiting.shift();
    if (next !== undefined) next(worker);
    else idle.push(worker);
  };
  const spawn = () => {
    const worker = new Worker(new URL("./worker-thread.mjs", import.meta.url), {
      workerData: { environment: options.environment ?? {} },
    });
    workers.add(worker);
    let crash: Error | undefined;
    worker.on("message", (m: Reply) => {
      // A worker past its timeout is being ended: its call fails as timed out when it exits,
      // and it is not handed to another call meanwhile.
      if (timedOutAfter.has(worker)) return;
      const p = pending.get(m.id);
      pending.delete(m.id);
      release(worker);
      if (p === undefined) return;
      if (m.ok) p.resolve(m.result);
      else p.reject(new WorkerCallError(m.error!));
    });
    worker.on("error", (e) => {
      crash = e;
    });
    // A worker that dies (an uncaught error, terminated, out of memory) fails the call it was
    // running, as a Lambda whose runtime exits does; a new worker takes its place.
    worker.on("exit", (code) => {
      workers.delete(worker);
      const at = idle.indexOf(worker);
      if (at >= 0) idle.splice(at, 1);
      const id = busyWith.get(worker);
      busyWith.delete(worker);
      const timeoutMs = timedOutAfter.get(worker);
      timedOutAfter.delete(worker);
      if (id !== undefined) {
        pending.get(id)?.reject(
          timeoutMs !== undefined
            ? new WorkerCallError({
                name: "Sandbox.Timedout",
                message: `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
              })
            : new WorkerCallError({
                name: "Runtime.ExitError",
                message: `the worker exited with code ${code} during the call${crash === undefined ? "" : `: ${crash.message}`}`,
                ...(crash?.stack === undefined ? {} : { stack: crash.stack }),
              }),
        );
        pending.delete(id);
      }
      if (!closing) release(spawn());
    });
    return worker;
  };
  for (let i = 0; i < size; i++) idle.push(spawn());
  const acquire = () =>
    new Promise<Worker>((resolve) => {
      const worker = idle.pop();
      if (worker !== undefined) resolve(worker);
      else waiting.push(resolve);
    });
  return {
    size,
    async run<T>(moduleUrl: string, name: string, payload: unknown, options = {}): Promise<T> {
      const module = await workerModule(moduleUrl);
      const worker = await acquire();
      const id = nextId++;
      busyWith.set(worker, id);
      const { timeoutMs } = options as { timeoutMs?: number };
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              timedOutAfter.set(worker, timeoutMs);
              void worker.terminate();
            }, timeoutMs);
      return new Promise<T>((resolve, reject) => {
        pending.set(id, {
          resolve: (v) => {
            clearTimeout(timer);
            resolve(v as T);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
        worker.postMessage({ id, module, name, payload });
      });
    },
    async close() {
      closing = true;
      await Promise.all([...workers].map((w) => w.terminate()));
    },
  };
}
