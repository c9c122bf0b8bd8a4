/**
 * Parses one range of a plan into its partial: frames its lines (range-scanner.ts) and types
 * and counts each (record-aggregator.ts).
 */
import type { Plan } from "../contracts";
import type { IpCounts } from "./aggregate";
import { ByteCounter, MAX_TABLE_SLOTS, type SpillArrays } from "./byte-counter";
import type { ByteSource } from "./byte-source";
import { CorruptRecordError } from "./errors";
import { PARTIAL_FORMAT, PARTIAL_VERSION, type RangePartial, type SpilledIpRun } from "./partial";
import { scanRange } from "./range-scanner";
import { RecordAggregator } from "./record-aggregator";

/**
 * The IP counter the last range on this thread left empty, for the next: a mapper that maps
 * range after range (a warm Lambda, a local worker) keeps its grown table and sort arrays in
 * memory it has already touched. Ranges mapped at once each take their own; a range that fails
 * does not give its counter back.
 */
let spareIpCounter: ByteCounter | undefined;

/** How a mapper holds a range's IP counts. */
export interface IpCountOptions {
  /** The most slots the range's IP table grows to (ByteCounter): MAX_TABLE_SLOTS by default. */
  readonly ipTableSlots?: number;
  /**
   * Writes away an IP run the table spilled (`ordinal` counts the range's runs from 0), and
   * says what the partial is to name it by: the mapper then holds one run at a time. The run's
   * arrays are the counter's, written into again at its next spill, which comes only after the
   * promise settles. Without it the runs stay in memory and are merged into the partial's IP
   * counts.
   */
  readonly spillIpRun?: (run: IpCounts, ordinal: number) => Promise<SpilledIpRun>;
  /**
   * With spillIpRun: where a spilled run is written, when not in the counter's own arrays (a
   * mapper lends its encode buffer's sections, and the run is written once, in place).
   */
  readonly spillArrays?: SpillArrays;
}

/** Parses every record of range `index` of the plan into its partial. */
export async function processRange(
  source: ByteSource,
  plan: Plan,
  index: number,
  { ipTableSlots = MAX_TABLE_SLOTS, spillIpRun, spillArrays }: IpCountOptions = {},
): Promise<RangePartial> {
  const range = plan.ranges[index];
  if (range === undefined) {
    throw new RangeError(`range ${index} is not in plan ${plan.runId} (it has ${plan.ranges.length} ranges)`);
  }
  // EDGAR days hold about one distinct IP per 500 bytes in a 64 MiB range (the counter's table
  // is bounded, ipTableSlots, whatever it is asked for).
  // A counter whose runs are written away reuses their arrays; one whose runs stay may not.
  const reuseSpillArrays = spillIpRun !== undefined;
  const ipCounter =
    spareIpCounter?.tableBound === ipTableSlots && spareIpCounter.reusesSpillArrays === reuseSpillArrays
      ? spareIpCounter
      : new ByteCounter((range.end - range.start) / 500, ipTableSlots, { reuseSpillArrays });
  spareIpCounter = undefined;
  ipCounter.spillArrays = spillIpRun === undefined ? undefined : spillArrays;
  const ipRuns: SpilledIpRun[] = [];
  const writeRuns =
    spillIpRun &&
    (async () => {
      for (const run of ipCounter.takeSpilledRuns()) ipRuns.push(await spillIpRun(run, ipRuns.length));
    });
  const aggregator = new RecordAggregator({
    header: plan.header,
    mode: plan.options.mode,
    sample: plan.options.sample,
    maxRecordBytes: plan.options.maxRecordBytes,
    quarantineLimit: plan.options.quarantineLimitPerRange,
    ipCounter,
  });
  let bounds: { firstRecordAt: number; endedAt: number };
  try {
    bounds = await scanRange(
      source,
      range,
      plan.header.dataStart,
      plan.options.maxRecordBytes,
      aggregator,
      writeRuns && (() => (ipCounter.spilledRuns > 0 ? writeRuns() : undefined)),
    );
  } catch (e) {
    if (e instanceof CorruptRecordError) {
      const line = await lineNumberAt(source, e.offset);
      throw new CorruptRecordError(
        `${source.name}: corrupt record at byte ${e.offset}, line ${line}: ${e.message.replace(/^corrupt record at byte \d+: /, "")}; fix the input, or run with mode permissive (quarantine) or dropmalformed`,
        e.offset,
        e.reason,
      );
    }
    throw e;
  }
  // What the last chunks spilled, and the last pending keys' spill, go out before the take.
  if (writeRuns) await writeRuns();
  const aggregate = aggregator.result();
  ipCounter.spillArrays = undefined;
  spareIpCounter = ipCounter;
  return {
    format: PARTIAL_FORMAT,
    version: PARTIAL_VERSION,
    runId: plan.runId,
    index,
    start: range.start,
    end: range.end,
    firstRecordAt: bounds.firstRecordAt,
    endedAt: bounds.endedAt,
    lines: aggregator.lineCount,
    ...(ipRuns.length > 0 ? { ipRuns } : {}),
    aggregate,
  };
}

/** 1-based line number of the line starting at `offset` (counts LFs before it). */
export async function lineNumberAt(source: ByteSource, offset: number): Promise<number> {
  let lines = 1;
  for await (const chunk of source.stream(0, offset)) {
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
  }
  return lines;
}
