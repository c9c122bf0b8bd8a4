// One local "Lambda container": a worker thread that loads a pipeline handler (TypeScript, via
// tsx) with its function's environment, then serves invocations one at a time.
import { parentPort, workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
Object.assign(process.env, workerData.environment);
const handlers = new Map();

parentPort.on("message", async ({ id, module, payload }) => {
  try {
    let handler = handlers.get(module);
    if (handler === undefined) {
      handler = (await import(module)).handler;
      handlers.set(module, handler);
    }
    parentPort.postMessage({ id, ok: true, result: await handler(payload) });
  } catch (e) {
    const error = e instanceof Error ? e : new Error(String(e));
    parentPort.postMessage({
      id,
      ok: false,
      error: { name: error.name, message: error.message, stack: error.stack },
    });
  }
});
