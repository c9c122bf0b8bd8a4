// One worker thread of local/worker-pool.ts: loads TypeScript modules through tsx, applies the
// environment it was given, and runs one call at a time: module, exported function, payload.
import { parentPort, workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
Object.assign(process.env, workerData.environment);
const modules = new Map();

parentPort.on("message", async ({ id, module, name, payload }) => {
  try {
    let loaded = modules.get(module);
    if (loaded === undefined) {
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
