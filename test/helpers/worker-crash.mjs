// Loaded into a running pool worker (local/worker-thread.mjs runs any module it is sent) to
// crash it from inside, as an uncaught exception in a Lambda's runtime would: the throw escapes
// every handler, so the thread dies with an 'error' event while its current call is mid-way.
export function crashThread(message) {
  setImmediate(() => {
    throw new Error(message);
  });
  return new Promise(() => {});
}
