import type { OutputLine } from '../runtime/output.ts';
import type { JobTimings } from '../runtime/run-result.ts';
import type { ChromeTrace } from '../runtime/trace/chrome-trace.ts';
import type { JobReportInput } from './job-report-page.ts';

/** What a job report needs of a finished job's RunResult (or of its record, which holds the same fields as JSON). */
export interface FinishedJob {
  jobId: string;
  size: number;
  timings?: JobTimings;
  output?: readonly OutputLine[];
  trace?: ChromeTrace;
}

/** A succeeded job's report input, from its RunResult: time breakdown, timeline, output. */
export function reportOfFinishedJob(job: FinishedJob, describe: { title: string; placement: string; cost?: JobReportInput['cost']; notes?: string[] }): JobReportInput {
  return {
    title: describe.title,
    placement: describe.placement,
    jobId: job.jobId,
    size: job.size,
    status: 'succeeded',
    ...(job.timings ? { durationMs: job.timings.durationMs } : {}),
    ...(job.timings?.phases ? { phases: job.timings.phases } : {}),
    ...(describe.cost ? { cost: describe.cost } : {}),
    ...(job.trace ? { trace: job.trace } : {}),
    ...(job.output ? { output: job.output } : {}),
    ...(describe.notes ? { notes: describe.notes } : {}),
  };
}
