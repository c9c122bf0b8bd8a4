/**
 * fast-check parameters for the heavy async properties (whole files through the core): a fixed
 * seed so a failure reproduces, and a time cap so that shrinking a large counterexample reports
 * in seconds instead of stalling the suite. A passing property cut by the cap (a very slow
 * machine) still passes, having run fewer cases.
 */
export function heavyProperty(seed: number, numRuns: number) {
  return { seed, numRuns, interruptAfterTimeLimit: 30_000 } as const;
}
