/**
 * The upstream side of the test proxies in front of the local S3 server: a server on 127.0.0.1
 * only, and a request passed on to it as the client sent it.
 */
import { type IncomingMessage, request } from "node:http";

/** The URL of `target`, refused unless it is on 127.0.0.1: a test proxy never forwards off the machine. */
export function loopbackUpstream(target: string, proxyName: string): URL {
  const upstream = new URL(target);
  if (upstream.hostname !== "127.0.0.1")
    throw new Error(`the ${proxyName} forwards to 127.0.0.1 only, not ${target}`);
  return upstream;
}

/**
 * Sends `req` with `body` to `upstream`: the same method, path and query, and headers (signatures
 * included) unchanged. `onAnswer` gets the upstream's response; `onError` a failed connection.
 */
export function forwardRequest(
  upstream: URL,
  req: IncomingMessage,
  body: Buffer,
  onAnswer: (answer: IncomingMessage) => void,
  onError: (error: Error) => void,
): void {
  const out = request(
    { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
    onAnswer,
  );
  out.on("error", onError);
  out.end(body);
}
