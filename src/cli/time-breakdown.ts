import type { JobTimings } from '../runtime/run-result.ts';
import type { RequestCounts } from '../transport/request-counts.ts';

/**
 * One line of where a job's wall time went, from its RunResult's timings: start-up (rank 0's
 * steps, the slowest rank's start, cold starts), run, clean-up.
 */
export function describeTimings(result: { jobId?: string; timings: JobTimings; requests?: RequestCounts; generations?: { count: number } }): string {
  const { timings } = result;
  const parts: string[] = [];
  if (timings.phases) {
    const { startupMs, runMs, cleanupMs } = timings.phases;
    const details: string[] = [];
    const steps = timings.startup;
    if (steps) {
      // On a stage over Valkey the step creates no queue: it opens the channel and marks the job on.
      const channel = result.requests?.valkey && Object.keys(result.requests.sqs ?? {}).length === 0 ? 'Valkey' : 'queues';
      const named: Array<[string, number | undefined]> = [['record', steps.recordMs], [channel, steps.queuesMs], ['input', steps.inputMs], ['invocations', steps.launchMs]];
      const shown = named.filter(([, ms]) => ms !== undefined).map(([name, ms]) => `${name} ${ms} ms`);
      if (shown.length) details.push(shown.join(', '));
    }
    const last = [...timings.ranks].sort((a, b) => (b.programMs ?? 0) - (a.programMs ?? 0))[0];
    if (last?.programMs !== undefined && timings.ranks.length > 1) details.push(`rank ${last.rank} began last, at ${seconds(last.programMs)}`);
    const cold = timings.ranks.filter((r) => r.coldStart);
    if (cold.length) details.push(`${cold.length} cold start${cold.length === 1 ? '' : 's'}, init up to ${seconds(Math.max(...cold.map((r) => r.initMs ?? 0)))}`);
    parts.push(`start-up ${seconds(startupMs)}${details.length ? ` (${details.join('; ')})` : ''}`, `run ${seconds(runMs)}`, `clean-up ${seconds(cleanupMs)}`);
  }
  const files = Object.values(result.requests?.files ?? {});
  if (files.length > 0) {
    const requests = files.reduce((sum, count) => sum + count.requests, 0);
    const read = files.reduce((sum, count) => sum + count.bytesReceived, 0);
    const written = files.reduce((sum, count) => sum + count.bytesSent, 0);
    parts.push(`files ${requests} request${requests === 1 ? '' : 's'} (${mebibytes(read)} read, ${mebibytes(written)} written)`);
  }
  const generations = result.generations ? ` in ${result.generations.count} generations (start-up: the last one's)` : '';
  return `job ${result.jobId ?? ''} took ${seconds(timings.durationMs)}${generations}${parts.length ? `: ${parts.join(', ')}` : ''}`;
}

function mebibytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(bytes < 1024 * 1024 ? 3 : 1)} MiB`;
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
