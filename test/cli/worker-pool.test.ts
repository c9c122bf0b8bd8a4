/**
 * The worker pool (local/worker-pool.ts) replaces a worker that dies, but stops when workers keep
 * dying before answering any call: a thread that cannot start must fail the calls, not be started
 * again forever. The tests watch every thread the pool starts (node:worker_threads is wrapped) and
 * can swap the pool's thread script for one that dies as it starts, or end threads as they start.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import {
  DEATHS_BEFORE_BROKEN,
  startWorkerPool,
  type WorkerPool,
  YOUNG_GENERATION_MB,
} from "../../local/worker-pool";

const threads = vi.hoisted(() => ({
  /** The script threads run instead of the pool's, when set. */
  script: undefined as URL | undefined,
  /** How many of the next threads are ended as soon as they come online. */
  toEndAtStart: 0,
  started: 0,
  exited: 0,
}));

vi.mock("node:worker_threads", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:worker_threads")>();
  class WatchedWorker extends actual.Worker {
    constructor(...[script, options]: ConstructorParameters<typeof actual.Worker>) {
      super(threads.script ?? script, options);
      threads.started++;
      this.once("exit", () => threads.exited++);
      if (threads.toEndAtStart > 0) {
        threads.toEndAtStart--;
        this.once("online", () => void this.terminate());
      }
    }
  }
  return { ...actual, Worker: WatchedWorker, default: { ...actual, Worker: WatchedWorker } };
});

/** Long enough for a pool that restarts dead threads to start several more. */
const QUIET_MS = 500;
const CRASH_MODULE = new URL("../helpers/worker-crash.mjs", import.meta.url).href;

describe("worker pool", () => {
  let dir: string;
  /** Modules the tests call, and thread scripts that die as they start. */
  let url: Record<"calls" | "exitsAtStart" | "throwsAtStart", string>;
  let pool: WorkerPool | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "edgar-etl-worker-pool-"));
    const modules = {
      calls:
        "export const echo = (x) => x;\nexport const hang = () => new Promise(() => {});\n" +
        'import { resourceLimits } from "node:worker_threads";\nexport const limits = () => resourceLimits;\n',
      exitsAtStart: "process.exit(7);\n",
      throwsAtStart: 'throw new Error("cannot start: no such hook");\n',
    };
    url = Object.fromEntries(
      await Promise.all(
        Object.entries(modules).map(async ([name, source]) => {
          const path = join(dir, `${name}.mjs`);
          await writeFile(path, source);
          return [name, pathToFileURL(path).href];
        }),
      ),
    );
  });
  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    Object.assign(threads, { script: undefined, toEndAtStart: 0, started: 0, exited: 0 });
  });
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });

  const echo = (p: WorkerPool, payload: unknown) => p.run(url.calls, "echo", payload);

  it("runs its threads with a young generation of YOUNG_GENERATION_MB", async () => {
    pool = startWorkerPool({ size: 1 });
    const limits = await pool.run<{ maxYoungGenerationSizeMb: number }>(url.calls, "limits", null);
    expect(YOUNG_GENERATION_MB).toBe(8);
    expect(limits.maxYoungGenerationSizeMb).toBe(YOUNG_GENERATION_MB);
  });

  it.each([
    { how: "exits", script: "exitsAtStart", says: "the last with code 7" },
    { how: "throws", script: "throwsAtStart", says: "(Error: cannot start: no such hook)" },
  ] as const)(
    "a thread that $how as it starts: the waiting call fails with WorkerPoolBroken and no thread starts after",
    { timeout: 10_000 },
    async ({ script, says }) => {
      // Prepare
      threads.script = new URL(url[script]);
      pool = startWorkerPool({ size: 2 });

      // Act
      const failure = await echo(pool, 1).catch((e: unknown) => e);
      const startedThen = threads.started;
      await sleep(QUIET_MS);

      // Assess: the call failed saying why; the two threads plus the replacements of all but the
      // last death were started, and none after; later calls fail at once.
      expect(failure).toMatchObject({
        name: "WorkerPoolBroken",
        message: expect.stringContaining(`${DEATHS_BEFORE_BROKEN} worker threads in a row exited`),
      });
      expect((failure as Error).message).toContain(says);
      expect(startedThen).toBe(2 + DEATHS_BEFORE_BROKEN - 1);
      expect(threads.started).toBe(startedThen);
      await expect(echo(pool, 2)).rejects.toBe(failure);
    },
  );

  it("threads ended as they start, with no call waiting: the pool stops replacing them", async () => {
    // Prepare
    threads.toEndAtStart = Number.POSITIVE_INFINITY;
    pool = startWorkerPool({ size: 1 });

    // Act
    await vi.waitFor(() => expect(threads.exited).toBeGreaterThanOrEqual(DEATHS_BEFORE_BROKEN));
    await sleep(QUIET_MS);

    // Assess
    expect(threads.started).toBe(DEATHS_BEFORE_BROKEN);
    await expect(echo(pool, 1)).rejects.toMatchObject({ name: "WorkerPoolBroken" });
  });

  it("threads that die during their first call: each call fails with Runtime.ExitError, then the pool is broken", async () => {
    // Prepare
    pool = startWorkerPool({ size: 1 });

    // Act
    const calls = [];
    for (let i = 0; i < DEATHS_BEFORE_BROKEN; i++) {
      calls.push(await pool.run(CRASH_MODULE, "crashThread", `crash ${i}`).catch((e: unknown) => e));
    }

    // Assess
    expect(calls).toMatchObject(
      calls.map((_, i) => ({ name: "Runtime.ExitError", message: expect.stringContaining(`crash ${i}`) })),
    );
    await expect(echo(pool, 1)).rejects.toMatchObject({ name: "WorkerPoolBroken" });
    expect(threads.started).toBe(DEATHS_BEFORE_BROKEN);
  });

  it("a call answered between deaths starts the count again: deaths spread out never break the pool", async () => {
    // Prepare: the first two threads die as they start, the third lives.
    threads.toEndAtStart = DEATHS_BEFORE_BROKEN - 1;
    pool = startWorkerPool({ size: 1 });
    await expect(echo(pool, 1)).resolves.toBe(1);

    // Act: the worker that answered dies, and the next two threads die as they start.
    threads.toEndAtStart = DEATHS_BEFORE_BROKEN - 1;
    const answered = threads.started;
    await pool.run(CRASH_MODULE, "crashThread", "after an answer").catch(() => undefined);

    // Assess: more deaths before an answer than the limit in all, but never that many in a row.
    await expect(echo(pool, 2)).resolves.toBe(2);
    expect(threads.started).toBe(answered + DEATHS_BEFORE_BROKEN);
  });

  it("a worker that dies during a call fails it with Runtime.ExitError, and its replacement takes the next call", async () => {
    // Prepare
    pool = startWorkerPool({ size: 1 });

    // Act
    const crashed = pool.run(CRASH_MODULE, "crashThread", "killed mid-call");

    // Assess
    await expect(crashed).rejects.toMatchObject({
      name: "Runtime.ExitError",
      message: "the worker exited with code 1 during the call: killed mid-call",
    });
    await expect(echo(pool, "next")).resolves.toBe("next");
    expect(threads.started).toBe(2);
  });

  it("calls that time out in a row fail with Sandbox.Timedout and do not break the pool", async () => {
    // Prepare
    pool = startWorkerPool({ size: 1 });

    // Act
    const calls = [];
    for (let i = 0; i < DEATHS_BEFORE_BROKEN; i++) {
      calls.push(await pool.run(url.calls, "hang", i, { timeoutMs: 50 }).catch((e: unknown) => e));
    }

    // Assess: a worker ended by its timeout was running its call: it says nothing about starting.
    expect(calls).toMatchObject(calls.map(() => ({ name: "Sandbox.Timedout" })));
    await expect(echo(pool, "next")).resolves.toBe("next");
  });
});
