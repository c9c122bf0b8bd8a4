// One worker thread of local/worker-pool.ts: applies the environment it was given, then runs one
// call at a time: module, exported function, payload. Modules come bundled (worker-bundles.ts);
// tsx's loader is registered only if a TypeScript module must be loaded from source.
import { parentPort, workerData } from "node:worker_threads";

Object.assign(process.env, workerData.environment);
let tsx;
const modules = new Map();

parentPort.on("message", async ({ id, module, name, payload }) => {
  try {
    let loaded = modules.get(module);
    if (loaded === undefined) {
      if (module.endsWith(".ts") && tsx === undefined) {
        tsx = await import("tsx/esm/api");
        tsx.register();
      }
      loaded = await import(module);
      modules.set(module, loaded);
    }
    parentPort.postMessage({ id, ok: true, result: await loaded[name](payload) });
  } catch (e) {
    const error = e instanceof Error ? e : new Error(String(e));
    parentPort.postMessage({
      id,
      ok: false,
      error: { name: error.name, message: error.message, stack: error.stack },
    });
  }
});

// The pool hands this thread calls only from now on: a thread that dies before this fails no call.
parentPort.postMessage({ ready: true });
