/**
 * A pool of worker threads, one per core by default, that run exported functions of TypeScript
 * modules: the local Lambda containers (aws/lambda-worker-pool.ts) and the in-process engine's
 * map tasks both run on it, so every core parses ranges. Calls queue for a free worker.
 *
 * A worker that dies is replaced, but not endlessly: a thread that cannot start (a module that
 * kills it as it loads, an environment every thread dies in) would otherwise be started again and
 * again, burning CPU while calls wait. After DEATHS_BEFORE_BROKEN workers in a row die before
 * answering any call, the pool starts no more and every waiting and later call fails.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { workerModule } from "./worker-bundles";

export interface WorkerPool {
  /**
   * Runs `name(payload)` exported by the module at `moduleUrl` on a free worker. A call still
   * running after `timeoutMs` ends its worker and fails with Sandbox.Timedout, as on Lambda; a
   * worker that dies during the call fails it with Runtime.ExitError. Once the pool is broken
   * (see above), calls fail with WorkerPoolBroken.
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

/**
 * Each worker's young generation, in MB. A worker's bulk data lives in typed arrays, off the JS
 * heap; what it allocates there is small and short-lived. V8 would let the young generation grow
 * to 48 MB a thread; at 8 MB a run keeps the same speed and 25-35 MB less peak RSS (1 GB day:
 * 351-357 MB instead of 362-382; 2.7 GB: 567 instead of 602).
 */
export const YOUNG_GENERATION_MB = 8;

/** Workers in a row that die before answering a call, after which the pool starts no more. */
export const DEATHS_BEFORE_BROKEN = 3;

/** The error of every call once the pool has stopped replacing dead workers. */
function brokenPoolError(deaths: number, code: number, crash: Error | undefined): WorkerCallError {
  return new WorkerCallError({
    name: "WorkerPoolBroken",
    message:
      `${deaths} worker threads in a row exited before answering a call, the last with code ${code}` +
      `${crash === undefined ? "" : ` (${crash.name}: ${crash.message})`}; the pool starts no more, ` +
      "and its calls fail until what ends the threads is fixed",
    ...(crash?.stack === undefined ? {} : { stack: crash.stack }),
  });
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/** A call waiting for a free worker. */
interface Waiting {
  resolve: (worker: Worker) => void;
  reject: (e: unknown) => void;
}

/** What a worker thread posts: once that it is ready for calls, then one reply per call. */
type WorkerMessage =
  | { ready: true }
  | { id: number; ok: boolean; result?: unknown; error?: { name: string; message: string; stack?: string } };

export function startWorkerPool(
  options: { size?: number; environment?: Record<string, string> } = {},
): WorkerPool {
  const size = Math.max(1, options.size ?? availableParallelism());
  const workers = new Set<Worker>();
  const idle: Worker[] = [];
  const waiting: Waiting[] = [];
  const pending = new Map<number, Pending>();
  const busyWith = new Map<Worker, number>();
  const timedOutAfter = new Map<Worker, number>();
  let nextId = 0;
  let closing = false;
  /** Workers that died since a worker last answered a call, not counting those ended by a timeout. */
  let deathsInARow = 0;
  let broken: WorkerCallError | undefined;
  const release = (worker: Worker) => {
    busyWith.delete(worker);
    const next = waiting.shift();
    if (next !== undefined) next.resolve(worker);
    else idle.push(worker);
  };
  const spawn = () => {
    const worker = new Worker(new URL("./worker-thread.mjs", import.meta.url), {
      workerData: { environment: options.environment ?? {} },
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    });
    workers.add(worker);
    let crash: Error | undefined;
    let answered = false;
    worker.on("message", (m: WorkerMessage) => {
      // Only a started thread takes calls, so one that dies as it starts fails none of them.
      if ("ready" in m) {
        release(worker);
        return;
      }
      // A worker past its timeout is being ended: its call fails as timed out when it exits,
      // and it is not handed to another call meanwhile.
      if (timedOutAfter.has(worker)) return;
      // Any reply, even a handler's error, shows that workers start and run calls.
      answered = true;
      deathsInARow = 0;
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
    // running, as a Lambda whose runtime exits does; a new worker takes its place unless too
    // many in a row died without answering a call. A worker ended by a timeout was running its
    // call, so its death says nothing about whether workers can start.
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
      if (closing || broken !== undefined) return;
      if (!answered && timeoutMs === undefined) deathsInARow++;
      if (deathsInARow < DEATHS_BEFORE_BROKEN) {
        spawn();
        return;
      }
      broken = brokenPoolError(deathsInARow, code, crash);
      for (const call of waiting.splice(0)) call.reject(broken);
    });
  };
  for (let i = 0; i < size; i++) spawn();
  const acquire = () =>
    new Promise<Worker>((resolve, reject) => {
      if (broken !== undefined) {
        reject(broken);
        return;
      }
      const worker = idle.pop();
      if (worker !== undefined) resolve(worker);
      else waiting.push({ resolve, reject });
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
