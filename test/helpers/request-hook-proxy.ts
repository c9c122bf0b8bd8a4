/**
 * A forwarding HTTP proxy between S3 clients and the local S3 server, on 127.0.0.1 only, that
 * lets a test act at a chosen request: each request is shown to `hook` before it is forwarded,
 * and forwarded only once the hook's promise settles. A test uses it to know that a Lambda is
 * mid-range (its source read has arrived) and to kill or stall it right there.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { forwardRequest, loopbackUpstream } from "./loopback-upstream";

export interface SeenRequest {
  readonly method: string;
  /** Path without the query, decoded: `/<bucket>/<key>`. */
  readonly path: string;
  readonly query: string;
  /** The Range header's first byte, when there is one. */
  readonly rangeStart?: number;
}

export type RequestHook = (request: SeenRequest) => Promise<void> | void;

export interface RequestHookProxy {
  readonly endpoint: string;
  /** Every request seen so far, in arrival order. */
  readonly seen: readonly SeenRequest[];
  setHook(hook: RequestHook | undefined): void;
  stop(): Promise<void>;
}

export async function startRequestHookProxy(target: string): Promise<RequestHookProxy> {
  const upstream = loopbackUpstream(target, "request hook proxy");
  let hook: RequestHook | undefined;
  const seen: SeenRequest[] = [];

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const url = new URL(req.url ?? "/", "http://proxy");
      const range = /^bytes=(\d+)-/.exec(req.headers.range ?? "");
      const shown: SeenRequest = {
        method: req.method ?? "GET",
        path: decodeURIComponent(url.pathname),
        query: url.search,
        ...(range === null ? {} : { rangeStart: Number(range[1]) }),
      };
      seen.push(shown);
      try {
        await hook?.(shown);
      } catch {
        req.socket.destroy();
        return;
      }
      forwardRequest(
        upstream,
        req,
        Buffer.concat(chunks),
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
        () => req.socket.destroy(),
      );
    });
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    seen,
    setHook(next) {
      hook = next;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
