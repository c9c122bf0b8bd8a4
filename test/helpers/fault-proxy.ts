/**
 * A fault-injecting HTTP proxy between S3 clients and the local S3 server, on 127.0.0.1 only.
 *
 * Each request is faulted or not by a hash of (seed, method, path and query, Range, how many
 * times that same request came before): the same seed faults the same requests whatever the
 * interleaving of concurrent ones, so a failing run can be replayed. Faults:
 * - `internalError`: 500 InternalError, not forwarded;
 * - `slowDown`: 503 SlowDown, not forwarded;
 * - `resetMidBody`: forwarded (a write is applied), then the connection is destroyed after part
 *   of the response body, or before any response when there is no body;
 * - `truncatedBody`: forwarded, and the response body cut short with a Content-Length that
 *   matches the cut (a clean, lying response that no HTTP layer notices);
 * - `delay`: the response held back 1-80 ms (on top of the others, at the same rate).
 * Headers, signatures included, are passed through unchanged.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { forwardRequest, loopbackUpstream } from "./loopback-upstream";

export const FAULT_KINDS = ["internalError", "slowDown", "resetMidBody", "truncatedBody"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultSettings {
  readonly seed: number;
  /** Share of requests failed (0..1); as many again are delayed. */
  readonly rate: number;
  /** Which faults to draw from (default all). */
  readonly kinds?: readonly FaultKind[];
}

export interface FaultStats {
  requests: number;
  faulted: number;
  delayed: number;
  byKind: Record<FaultKind, number>;
}

export interface FaultProxy {
  readonly endpoint: string;
  /** Changes the faults for the requests that follow, and resets the counts. */
  configure(settings: FaultSettings): void;
  stats(): FaultStats;
  stop(): Promise<void>;
}

export async function startFaultProxy(target: string, initial: FaultSettings): Promise<FaultProxy> {
  const upstream = loopbackUpstream(target, "fault proxy");
  let settings = initial;
  let seen = new Map<string, number>();
  let stats = emptyStats();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const id = `${req.method} ${req.url} ${req.headers.range ?? ""}`;
      const n = seen.get(id) ?? 0;
      seen.set(id, n + 1);
      stats.requests++;
      const draw = (salt: number) => unitHash(settings.seed, `${salt}|${n}|${id}`);
      const kinds = settings.kinds ?? FAULT_KINDS;
      const fault = draw(1) < settings.rate ? kinds[Math.floor(draw(2) * kinds.length)]! : null;
      const delayMs = draw(3) < settings.rate ? 1 + Math.floor(draw(4) * 80) : 0;
      if (fault !== null) {
        stats.faulted++;
        stats.byKind[fault]++;
      }
      if (delayMs > 0) stats.delayed++;
      const cut = draw(5);
      setTimeout(() => {
        if (fault === "internalError" || fault === "slowDown") {
          const [status, code] = fault === "internalError" ? [500, "InternalError"] : [503, "SlowDown"];
          const xml = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>injected</Message><RequestId>fault</RequestId></Error>`;
          res.writeHead(status, {
            "content-type": "application/xml",
            "content-length": Buffer.byteLength(xml),
          });
          res.end(xml);
          return;
        }
        forward(req, body, (answer, answerBody) => {
          const headers = passHeaders(answer.headers);
          const hasBody = answerBody.length > 1 && req.method !== "HEAD";
          if (fault === "resetMidBody") {
            if (!hasBody) {
              req.socket.destroy();
              return;
            }
            res.writeHead(answer.statusCode ?? 502, { ...headers, "content-length": answerBody.length });
            res.write(answerBody.subarray(0, Math.floor(cut * (answerBody.length - 1))), () =>
              res.socket?.destroy(),
            );
            return;
          }
          if (fault === "truncatedBody" && hasBody) {
            const kept = answerBody.subarray(0, Math.floor(cut * (answerBody.length - 1)));
            res.writeHead(answer.statusCode ?? 502, { ...headers, "content-length": kept.length });
            res.end(kept);
            return;
          }
          if (req.method === "HEAD") {
            // A HEAD's Content-Length is the object's, not this (empty) body's.
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.end();
            return;
          }
          res.writeHead(answer.statusCode ?? 502, { ...headers, "content-length": answerBody.length });
          res.end(answerBody);
        }).catch(() => req.socket.destroy());
      }, delayMs);
    });
  });

  function forward(
    req: IncomingMessage,
    body: Buffer,
    reply: (answer: IncomingMessage, answerBody: Buffer) => void,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      forwardRequest(
        upstream,
        req,
        body,
        (answer) => {
          const parts: Buffer[] = [];
          answer.on("data", (c: Buffer) => parts.push(c));
          answer.on("end", () => {
            reply(answer, Buffer.concat(parts));
            resolve();
          });
          answer.on("error", reject);
        },
        reject,
      );
    });
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    configure(next) {
      settings = next;
      seen = new Map();
      stats = emptyStats();
    },
    stats: () => structuredClone(stats),
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function emptyStats(): FaultStats {
  return {
    requests: 0,
    faulted: 0,
    delayed: 0,
    byKind: Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>,
  };
}

/** Response headers to pass on; the body is re-sent whole (or cut), with its own length. */
function passHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const { "transfer-encoding": _, "content-length": __, connection: ___, ...rest } = headers;
  return rest;
}

/** A uniform number in [0, 1) from (seed, text): FNV-1a, then a murmur3 finish. */
function unitHash(seed: number, text: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 0x100000000;
}
