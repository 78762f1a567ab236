import type { RunResult } from './run-result.ts';
import { addJobStep } from './trace/chrome-trace.ts';

/**
 * The clean-up follows the result: it is added to it here. It is everything from the result to
 * the job's end (closing the channel, ending the threads, the job's wait for a sweep it started,
 * deleting its queues or keys and objects, `start` being when the deleting began), so the phases
 * add up to the job's time.
 */
export function addCleanup(result: RunResult, start: number, end: number): void {
  const { timings } = result;
  const origin = Date.parse(timings.startedAt);
  timings.durationMs = end - origin;
  const resultAt = timings.phases ? Math.min(start, origin + timings.phases.startupMs + timings.phases.runMs) : start;
  if (timings.phases) timings.phases.cleanupMs = end - resultAt;
  if (result.trace) addJobStep(result.trace, { name: 'clean-up', category: 'cleanup', start: resultAt, end });
}
