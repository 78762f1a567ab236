import { InvokeCommand } from '@aws-sdk/client-lambda';
import { ConfigurationError, InvalidArgumentError, TransportError } from '../mpi/errors.ts';
import { isJobId, newJobId } from '../runtime/job-id.ts';
import { createAwsClients } from '../transport/aws/clients.ts';
import { runLocation, type RequestOrigin } from './http-location.ts';
import { storeInput } from './job-input.ts';
import { judgeRunning, lostRecord, readPulse } from './job-liveness.ts';
import { assertProgramShipped } from './job-program.ts';
import { MAX_INPUT_BYTES, parseJobRequest } from './job-request.ts';
import { createLambdaClient } from './launcher.ts';
import { CLEANUP_MARGIN_MS, lambdaConfigFromEnv } from './lambda-config.ts';
import { runReportResponse } from './run-report.ts';
import { failureInfo, readRunStatus, writeRunStatus, type RunStatus } from './run-status.ts';
import { cancelJob } from '../watch/cancel-job.ts';
import { readEventLogPage } from '../watch/event-log-reader.ts';

/** The part of an API Gateway (REST, v1) proxy event this API reads. */
export interface HttpEvent extends RequestOrigin {
  httpMethod: string;
  resource?: string;
  pathParameters?: Record<string, string | undefined> | null;
  queryStringParameters?: Record<string, string | undefined> | null;
  body?: string | null;
  isBase64Encoded?: boolean;
}

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** API Gateway gives up on a request after 29 s: a POST waits for the result at most this long. */
export const MAX_WAIT_SECONDS = 25;
const DEFAULT_WAIT_SECONDS = 20;
const POLL_MS = 200;
/** Between this function's check and the run function's start, a few seconds of its timeout pass. */
const START_SLACK_MS = 5_000;
/** The largest body: the largest input, with room for the request's other fields. */
const MAX_BODY_BYTES = MAX_INPUT_BYTES + 4096;

/**
 * POST /runs starts a job through the run function (asynchronously, so the job may outlive the
 * request) and answers 200 with the result if it ends within the wait, else 202 with the job id.
 * GET /runs/{jobId} answers with the job's record: running (with its progress and the output so
 * far, from its event log, from `?cursor=N` on), succeeded (with the result), failed, cancelled,
 * or lost (rank 0 died or never started). DELETE /runs/{jobId} cancels a running job. A request
 * is checked whole before anything is written; a failure of the service itself is answered
 * without its internals (they go to the log, under `requestId`).
 */
export async function handleHttp(event: HttpEvent, requestId = 'unknown'): Promise<HttpResponse> {
  try {
    const route = `${event.httpMethod} ${event.resource ?? event.path ?? ''}`;
    if (route === 'POST /runs') return await startRun(event);
    const reportOf = event.resource === '/runs/{jobId}/report' ? event.pathParameters?.jobId : /^\/runs\/([^/]+)\/report$/.exec(event.path ?? '')?.[1];
    if (reportOf !== undefined && event.httpMethod === 'GET') return await getRunReport(reportOf);
    if (event.resource === '/runs/{jobId}' || /^\/runs\/[^/]+$/.test(event.path ?? '')) {
      const jobId = event.pathParameters?.jobId ?? (event.path ?? '').split('/').pop()!;
      if (event.httpMethod === 'GET') return await getRun(jobId, event.queryStringParameters?.cursor);
      if (event.httpMethod === 'DELETE') return await deleteRun(jobId);
    }
    return json(404, { message: `no route ${route}; the routes are POST /runs, GET /runs/{jobId}, GET /runs/{jobId}/report and DELETE /runs/{jobId}` });
  } catch (error) {
    if (error instanceof InvalidArgumentError) return json(400, { message: error.message, argument: error.argument });
    // A route with a job names it, so the line is found with the job's other lines.
    const jobId = event.pathParameters?.jobId ?? /^\/runs\/([^/]+)$/.exec(event.path ?? '')?.[1];
    console.error(`[job ${jobId ?? '(none)'}] lambda-mpi http ${event.httpMethod} ${event.path ?? event.resource ?? ''} (request ${requestId}): ${(error as Error).stack ?? error}`);
    if (error instanceof ConfigurationError || error instanceof TransportError) {
      return json(503, { message: `the service cannot reach its storage or functions right now; its log has the details (request ${requestId})`, requestId });
    }
    return json(500, { message: `the service failed to answer; its log has the details (request ${requestId})`, requestId });
  }
}

async function startRun(event: HttpEvent): Promise<HttpResponse> {
  const config = lambdaConfigFromEnv();
  if (!config.runFunction) throw new ConfigurationError('LAMBDA_MPI_RUN_FUNCTION', 'is not set: it names the run function that POST /runs starts');
  let body: unknown;
  const text = event.isBase64Encoded && event.body ? Buffer.from(event.body, 'base64').toString() : event.body;
  if (!text) throw new InvalidArgumentError('body', text ?? null, 'a JSON object { "program": name, "size": N, "input"?: any, "timeoutSeconds"?: seconds, "waitSeconds"?: seconds }', 'is missing: send a JSON object { "program": name, "size": N, "input"?: any, "timeoutSeconds"?: seconds, "waitSeconds"?: seconds }');
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) {
    throw new InvalidArgumentError('body', `${Buffer.byteLength(text)} bytes`, `at most ${MAX_BODY_BYTES} bytes`, `is ${Buffer.byteLength(text)} bytes; at most ${MAX_BODY_BYTES} are allowed`);
  }
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new InvalidArgumentError('body', text, 'JSON', `is not valid JSON (${(error as Error).message})`);
  }
  const request = parseJobRequest(body, {
    // The run function checks again against its own remaining time; leave it a little slack.
    maxTimeoutSeconds: Math.min(config.maxJobSeconds, Math.floor((config.runTimeoutSeconds * 1000 - CLEANUP_MARGIN_MS - START_SLACK_MS) / 1000)),
    maxRanks: config.maxRanks,
    diagnostics: config.diagnostics,
    maxWaitSeconds: MAX_WAIT_SECONDS,
  });
  const jobId = newJobId();
  const clients = createAwsClients(config.aws);
  const lambda = createLambdaClient(config.aws);
  try {
    await assertProgramShipped(request.program, clients.s3, config.aws.bucket, config.stage);
    // Recorded before the job starts, so a GET right after the 202 finds it.
    await writeRunStatus(clients.s3, config.aws.bucket, { jobId, status: 'running', program: request.program, size: request.size, startedAt: new Date().toISOString() });
    const { waitSeconds = DEFAULT_WAIT_SECONDS, timeoutSeconds, input, ...job } = request;
    // Only a timeout the user asked for is passed on; otherwise the run function takes its own maximum.
    if ((body as { timeoutSeconds?: unknown }).timeoutSeconds !== undefined) Object.assign(job, { timeoutSeconds });
    try {
      // An asynchronous invocation carries at most 1 MB: a large input goes through S3.
      const inputReference = await storeInput(clients.s3, config.aws.bucket, jobId, input);
      await lambda.send(new InvokeCommand({
        FunctionName: config.runFunction,
        InvocationType: 'Event',
        Payload: Buffer.from(JSON.stringify({ ...job, ...inputReference, jobId, mode: 'async' })),
      }));
    } catch (error) {
      // The job never started: its record must not stay "running".
      await writeRunStatus(clients.s3, config.aws.bucket, { jobId, status: 'failed', error: failureInfo(error) }).catch(() => undefined);
      throw error instanceof ConfigurationError ? error : new TransportError('Lambda Invoke', `starting job ${jobId} failed: ${(error as Error).message}`, { cause: error });
    }
    const until = Date.now() + waitSeconds * 1000;
    let status: RunStatus | undefined;
    do {
      status = await readRunStatus(clients.s3, config.aws.bucket, jobId);
      if (status && status.status !== 'running') return json(200, status);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    } while (Date.now() < until);
    const location = runLocation(event, jobId);
    return json(202, { jobId, status: 'running', location }, { Location: location });
  } finally {
    clients.destroy();
    lambda.destroy();
  }
}

/**
 * A job's record. While it runs: with its progress and its output from the event log, after the
 * cursor (0 when none is given), and the cursor to ask with next time, so a poller gets each
 * line once. After it ended: the record (the whole output); with a cursor, the output is the
 * log's lines after it instead, so a poller that followed the job gets only what it has not seen.
 */
async function getRun(jobId: string, cursorText: string | undefined): Promise<HttpResponse> {
  assertJobId(jobId);
  const cursor = cursorText === undefined ? undefined : Number(cursorText);
  if (cursor !== undefined && !(Number.isInteger(cursor) && cursor >= 0)) {
    throw new InvalidArgumentError('cursor', cursorText, 'a non-negative integer: 0, or the cursor an earlier GET of this job answered with');
  }
  const config = lambdaConfigFromEnv();
  const clients = createAwsClients(config.aws);
  try {
    let status = await readRunStatus(clients.s3, config.aws.bucket, jobId);
    if (!status) return json(404, { message: `no job ${jobId}` });
    if (status.status === 'running') {
      // Whoever watches sees rank 0's death: a job that can no longer finish is lost, not running forever.
      const lost = judgeRunning(status, await readPulse(clients.s3, config.aws.bucket, jobId), Date.now(), config);
      if (lost) await writeRunStatus(clients.s3, config.aws.bucket, (status = lostRecord(status, lost)));
    }
    if (status.status !== 'running' && cursor === undefined) return json(200, status);
    const page = await readEventLogPage(clients.s3, config.aws.bucket, jobId, cursor ?? 0);
    return json(200, {
      ...status,
      output: page.output,
      cursor: page.cursor,
      more: page.more,
      ...(page.progress ? { progress: page.progress } : {}),
      ...(page.lastChunkAt !== undefined ? { lastEventAt: new Date(page.lastChunkAt).toISOString() } : {}),
    });
  } finally {
    clients.destroy();
  }
}

/** How long DELETE waits for the job to say `cancelled` before answering 202. */
const CANCEL_WAIT_MS = 10_000;

/**
 * Cancels a running job: 200 with its `cancelled` record once rank 0 stopped it (usually within
 * a few seconds), 202 if it has not yet within the wait. A job that already ended is 200 with
 * its status and `cancelled: false`; one the stage never ran, 404 saying so.
 */
async function deleteRun(jobId: string): Promise<HttpResponse> {
  assertJobId(jobId);
  const config = lambdaConfigFromEnv();
  const clients = createAwsClients(config.aws);
  try {
    const outcome = await cancelJob(clients.s3, config.aws.bucket, jobId, 'DELETE /runs/{jobId}', { waitMs: CANCEL_WAIT_MS });
    switch (outcome.kind) {
      case 'cancelled':
        return json(200, { ...outcome.record, cancelled: true, message: `job ${jobId} was cancelled: every rank stopped, its queues and objects are deleted` });
      case 'cancelling':
        return json(202, { jobId, status: 'running', cancelled: false, message: `job ${jobId} was asked to stop; GET /runs/${jobId} says when it has` });
      case 'already-ended':
        return json(200, { jobId, status: outcome.record.status, cancelled: false, message: `job ${jobId} already ${outcome.record.status === 'cancelled' ? 'was cancelled' : outcome.record.status}: nothing to cancel` });
      case 'unknown':
        return json(404, { jobId, status: 'unknown', cancelled: false, message: `no job ${jobId} on this stage: nothing to cancel` });
    }
  } finally {
    clients.destroy();
  }
}

/** GET /runs/{jobId}/report: the job's report page (run-report.ts). */
async function getRunReport(jobId: string): Promise<HttpResponse> {
  assertJobId(jobId);
  const config = lambdaConfigFromEnv();
  const clients = createAwsClients(config.aws);
  try {
    return await runReportResponse(clients.s3, config.aws.bucket, jobId);
  } finally {
    clients.destroy();
  }
}

function assertJobId(jobId: string): void {
  if (!isJobId(jobId)) throw new InvalidArgumentError('jobId', jobId, 'a job id as POST /runs returned it (26 letters a-z and digits 2-7)');
}

function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return { statusCode, headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

