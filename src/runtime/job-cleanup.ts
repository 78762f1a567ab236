import type { RunResult } from './run-result.ts';
import { addJobStep } from './trace/chrome-trace.ts';

/** The clean-up (deleting the job's queues and objects, ending its threads) follows the result: it is added to it here. */
export function addCleanup(result: RunResult, start: number, end: number): void {
  const { timings } = result;
  timings.durationMs = end - Date.parse(timings.startedAt);
  if (timings.phases) timings.phases.cleanupMs = end - start;
  if (result.trace) addJobStep(result.trace, { name: 'clean-up', category: 'cleanup', start, end });
}
