import { AsyncLocalStorage } from 'node:async_hooks';

/** A clock a rank's program lives in other than real time: the model's simulated one (epoch ms). */
export interface ProgramClock {
  now(): number;
}

/**
 * The simulated clock of the ranks that run on one, carried in async context: the model runs
 * all of a job's ranks in one thread, maybe beside jobs in real time. Real-time ranks never
 * enter it, so `wtime()` costs them one lookup.
 */
const simulatedClock = new AsyncLocalStorage<ProgramClock>();

/** The model's clock advances by CPU time, which Node measures in microseconds. */
const SIMULATED_TICK_SECONDS = 1e-6;

let realTickSeconds: number | undefined;

/** Runs `program` so that `wtime()` inside it reads `clock`. */
export function runOnClock<T>(clock: ProgramClock, program: () => T): T {
  return simulatedClock.run(clock, program);
}

/** The simulated clock the running code's rank lives in, if any (undefined in real time). */
export function programClock(): ProgramClock | undefined {
  return simulatedClock.getStore();
}

/**
 * Seconds, as a float, from an arbitrary origin (MPI_Wtime): monotonic in real time; on the
 * model's simulated clock, the rank's modeled time (its computing included).
 */
export function wtime(): number {
  const clock = simulatedClock.getStore();
  return (clock ? clock.now() : performance.now()) / 1000;
}

/** The resolution of `wtime()` in seconds (MPI_Wtick): the smallest step it was seen to take. */
export function wtick(): number {
  if (simulatedClock.getStore()) return SIMULATED_TICK_SECONDS;
  return (realTickSeconds ??= smallestStepMs() / 1000);
}

function smallestStepMs(): number {
  let smallest = Infinity;
  for (let sample = 0; sample < 8; sample++) {
    const before = performance.now();
    let after = performance.now();
    while (after === before) after = performance.now();
    smallest = Math.min(smallest, after - before);
  }
  return smallest;
}
