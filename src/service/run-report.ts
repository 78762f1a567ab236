import type { S3Client } from '@aws-sdk/client-s3';
import { estimateJobCost, type CostInput } from '../cost/job-cost.ts';
import { renderJobReport, type JobReportInput } from '../report/job-report-page.ts';
import { reportCost } from '../report/report-cost.ts';
import { reportOfFinishedJob, type FinishedJob } from '../report/run-result-report.ts';
import type { OutputLine } from '../runtime/output.ts';
import type { ChromeTrace } from '../runtime/trace/chrome-trace.ts';
import { readJobRecord, type JobRecord } from '../job-store/job-record.ts';
import { readJobTrace } from '../job-store/job-trace.ts';
import { rankCount } from '../report/grouped.ts';

/** An HTTP answer, as http-api.ts hands it to API Gateway. */
interface ReportResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

const UNTRACED_NOTE = 'This job was not traced, so the page has no timeline: start it with "trace": true (POST /runs) or `lambda-mpi run … --stage S --report FILE.html`.';

/**
 * GET /runs/{jobId}/report: the job report page (src/report/) of a job that ended, from its
 * record and, for a traced job, its timeline (runs/<jobId>/trace.json): 200 text/html; 404 when
 * the stage has no such job; 409 while it runs (the timeline is written when it ends).
 */
export async function runReportResponse(s3: S3Client, bucket: string, jobId: string): Promise<ReportResponse> {
  const status = await readJobRecord(s3, bucket, jobId);
  if (!status) return text(404, `no job ${jobId} on this stage`);
  if (status.status === 'running') return text(409, `job ${jobId} is still running: its report is there once it ends (GET /runs/${jobId} says when)`);
  const traceText = await readJobTrace(s3, bucket, jobId, status);
  return {
    statusCode: 200,
    headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' },
    body: renderJobReport(reportInputOf(status, traceText === undefined ? undefined : (JSON.parse(traceText) as ChromeTrace))),
  };
}

/** A job's record (and trace) as the report's input. */
export function reportInputOf(status: Exclude<JobRecord, { status: 'running' }>, trace: ChromeTrace | undefined): JobReportInput {
  const record = status as Record<string, unknown>;
  const size = typeof record.size === 'number' ? record.size : (trace?.otherData.size ?? 0);
  const program = typeof record.program === 'string' ? record.program : 'job';
  const title = `${program.startsWith('sha256:') ? `${program.slice(0, 19)}…` : program} on ${rankCount(size)}`;
  const placement = 'this stage\'s Lambda functions';
  if (status.status === 'succeeded') {
    const job = { ...(status as unknown as FinishedJob), size, ...(trace ? { trace } : {}) };
    // The record holds what the CLI prices too: every rank's time and the job's requests.
    const costInput = status as unknown as CostInput;
    const cost = costInput.timings?.ranks ? reportCost(estimateJobCost(costInput)) : undefined;
    return reportOfFinishedJob(job, { title, placement, ...(cost ? { cost } : {}), notes: trace ? [] : [UNTRACED_NOTE] });
  }
  const output = Array.isArray(record.output) ? (record.output as OutputLine[]) : [];
  return {
    title, placement, jobId: status.jobId, size, status: status.status, output,
    error: `${status.error.message}${status.error.stack ? `\n${status.error.stack}` : ''}`,
  };
}

function text(statusCode: number, message: string): ReportResponse {
  return { statusCode, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ message }) };
}
