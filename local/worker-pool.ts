/**
 * A pool of worker threads, one per core by default, that run exported functions of TypeScript
 * modules: the local Lambda containers (aws/lambda-worker-pool.ts) and the in-process engine's
 * map tasks both run on it, so every core parses ranges. Calls queue for a free worker.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { workerModule } from "./worker-bundles";

export interface WorkerPool {
  /** Runs `name(payload)` exported by the module at `moduleUrl` on a free worker. */
  run<T>(moduleUrl: string, name: string, payload: unknown): Promise<T>;
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
  const workers = Array.from(
    { length: size },
    () =>
      new Worker(new URL("./worker-thread.mjs", import.meta.url), {
        workerData: { environment: options.environment ?? {} },
      }),
  );
  const idle = [...workers];
  const waiting: ((w: Worker) => void)[] = [];
  const pending = new Map<number, Pending>();
  const busyWith = new Map<Worker, number>();
  let nextId = 0;
  const release = (worker: Worker) => {
    busyWith.delete(worker);
    const next = waiting.shift();
    if (next !== undefined) next(worker);
    else idle.push(worker);
  };
  for (const worker of workers) {
    worker.on("message", (m: Reply) => {
      const p = pending.get(m.id);
      pending.delete(m.id);
      release(worker);
      if (p === undefined) return;
      if (m.ok) p.resolve(m.result);
      else p.reject(new WorkerCallError(m.error!));
    });
    // A worker that dies fails the call it was running; the others go on.
    worker.on("error", (e) => {
      const id = busyWith.get(worker);
      if (id === undefined) return;
      pending.get(id)?.reject(e);
      pending.delete(id);
    });
  }
  const acquire = () =>
    new Promise<Worker>((resolve) => {
      const worker = idle.pop();
      if (worker !== undefined) resolve(worker);
      else waiting.push(resolve);
    });
  return {
    size,
    async run<T>(moduleUrl: string, name: string, payload: unknown): Promise<T> {
      const module = await workerModule(moduleUrl);
      const worker = await acquire();
      const id = nextId++;
      busyWith.set(worker, id);
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        worker.postMessage({ id, module, name, payload });
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
