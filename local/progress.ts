/**
 * Progress of a long local job (a run's ranges, a generated file's bytes) on stderr: a live bar on
 * a terminal (cli-progress), and on anything else a plain line now and then, so CI logs and pipes
 * get a record without carriage returns. stdout stays for the result.
 */
import cliProgress from "cli-progress";

export interface RunProgressSnapshot {
  readonly rangesDone: number;
  readonly rangesTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

/** Called by an engine as ranges finish (rangesTotal 0 for a job without ranges). */
export type RunProgress = (p: RunProgressSnapshot) => void;

export interface ProgressDisplay {
  readonly update: RunProgress;
  /** The job finished: the last state stays on screen (and is printed once more if not yet). */
  finish(): void;
  /** The job failed or was abandoned: stop drawing, print nothing more. */
  stop(): void;
}

export interface ProgressDisplayOptions {
  /** Leads every line: "run", "generate". */
  readonly label: string;
  /** @default process.stderr */
  readonly stream?: NodeJS.WritableStream & { readonly isTTY?: boolean };
  /** Least time between two plain lines. @default 5000 */
  readonly intervalMs?: number;
  /** @default performance.now */
  readonly now?: () => number;
}

const MB = 1e6;
/** Before this much time a pace is noise (a first update may already count a range). */
const MIN_PACE_SECONDS = 1;

const rate = (mbPerSecond: number) => (Number.isNaN(mbPerSecond) ? "-" : mbPerSecond.toFixed(1));

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
}

/** The share done: by bytes when they are known, else by ranges. */
function shareDone(p: RunProgressSnapshot): number {
  if (p.bytesTotal > 0) return p.bytesDone / p.bytesTotal;
  return p.rangesTotal > 0 ? p.rangesDone / p.rangesTotal : 1;
}

/** MB/s so far (NaN until a pace can be told) and the time left at that pace (Infinity until then). */
export function progressRate(
  p: RunProgressSnapshot,
  elapsedSeconds: number,
): { mbPerSecond: number; etaSeconds: number } {
  const paced = elapsedSeconds >= MIN_PACE_SECONDS;
  const mbPerSecond = paced ? p.bytesDone / MB / elapsedSeconds : Number.NaN;
  const share = shareDone(p);
  const etaSeconds =
    share >= 1 ? 0 : share > 0 && paced ? ((1 - share) / share) * elapsedSeconds : Number.POSITIVE_INFINITY;
  return { mbPerSecond, etaSeconds };
}

/** "run: 12/20 ranges, 120.0/200.0 MB (60 %), 55.3 MB/s, ETA 2 s" (no MB when bytes are unknown) */
export function describeProgress(label: string, p: RunProgressSnapshot, elapsedSeconds: number): string {
  const { mbPerSecond, etaSeconds } = progressRate(p, elapsedSeconds);
  const percent = `${Math.floor(100 * shareDone(p))} %`;
  const ranges = p.rangesTotal > 0 ? `${p.rangesDone}/${p.rangesTotal} ranges, ` : "";
  const bytes =
    p.bytesTotal > 0
      ? `${(p.bytesDone / MB).toFixed(1)}/${(p.bytesTotal / MB).toFixed(1)} MB (${percent}), ${rate(mbPerSecond)} MB/s`
      : `${percent}`;
  return `${label}: ${ranges}${bytes}, ETA ${duration(etaSeconds)}`;
}

export function progressDisplay(options: ProgressDisplayOptions): ProgressDisplay {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? (() => performance.now());
  return stream.isTTY === true
    ? terminalDisplay(options.label, stream, now)
    : plainDisplay(options, stream, now);
}

function plainDisplay(
  { label, intervalMs = 5000 }: ProgressDisplayOptions,
  stream: NodeJS.WritableStream,
  now: () => number,
): ProgressDisplay {
  // The clock starts at the first update: MB/s and ETA are the job's, not its setup's.
  let started: number | undefined;
  let lastPrinted = 0;
  let latest: RunProgressSnapshot | undefined;
  let printed: RunProgressSnapshot | undefined;
  let done = false;
  const print = () => {
    if (latest === undefined || latest === printed) return;
    stream.write(`${describeProgress(label, latest, (now() - (started ?? now())) / 1000)}\n`);
    printed = latest;
    lastPrinted = now();
  };
  return {
    update(p) {
      if (done) return;
      if (started === undefined) {
        started = now();
        lastPrinted = started;
      }
      latest = p;
      if (now() - lastPrinted >= intervalMs) print();
    },
    finish() {
      if (!done) print();
      done = true;
    },
    stop() {
      done = true;
    },
  };
}

function terminalDisplay(label: string, stream: NodeJS.WritableStream, now: () => number): ProgressDisplay {
  let started = now();
  const bar = new cliProgress.SingleBar(
    {
      stream: stream as NodeJS.WritableStream as never,
      format: `${label} [{bar}] {percentage}% | {ranges}{mb}{rate}ETA {eta_formatted}`,
      hideCursor: true,
      barsize: 30,
      fps: 5,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let running = false;
  const payload = (p: RunProgressSnapshot) => ({
    ranges: p.rangesTotal > 0 ? `${p.rangesDone}/${p.rangesTotal} ranges | ` : "",
    mb: p.bytesTotal > 0 ? `${(p.bytesDone / MB).toFixed(0)}/${(p.bytesTotal / MB).toFixed(0)} MB | ` : "",
    rate: p.bytesTotal > 0 ? `${rate(progressRate(p, (now() - started) / 1000).mbPerSecond)} MB/s | ` : "",
  });
  // The bar counts thousandths done, so a job known only by its ranges fills it too.
  const value = (p: RunProgressSnapshot) => Math.round(1000 * shareDone(p));
  return {
    update(p) {
      if (!running) {
        started = now();
        bar.start(1000, value(p), payload(p));
        running = true;
      } else {
        bar.update(value(p), payload(p));
      }
    },
    finish() {
      if (running) bar.stop();
      running = false;
    },
    stop() {
      if (running) bar.stop();
      running = false;
    },
  };
}
