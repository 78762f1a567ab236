import { ConfigurationError, InvalidArgumentError, TransportError } from '../mpi/errors.ts';
import { isJobId, newJobId } from '../runtime/job-id.ts';
import { createAwsClients } from '../transport/aws/clients.ts';
import { runLocation, type RequestOrigin } from './http-location.ts';
import { judgeRunning, lostRecord, readPulse } from './job-liveness.ts';
import { MAX_INPUT_BYTES } from '../job-store/job-request.ts';
import { parseJobRequest } from './job-request.ts';
import { CLEANUP_MARGIN_MS, lambdaConfigFromEnv, type LambdaConfig } from './lambda-config.ts';
import { runReportResponse } from './run-report.ts';
import { readJobRecord, writeJobRecord } from '../job-store/job-record.ts';
import { openRunsStage, type RunsStage } from './runs-stage.ts';
import { AnswerBudget, API_GATEWAY_LIMIT_MS, OUT_OF_TIME } from './answer-budget.ts';
import { cancelJob } from '../watch/cancel-job.ts';
import { readEventLogPage } from '../watch/event-log-reader.ts';
import { failureInfo } from './failure-info.ts';

/** The part of an API Gateway (REST, v1) proxy event this API reads. */
export interface HttpEvent extends RequestOrigin {
  httpMethod: string;
  /** requestTimeEpoch: when API Gateway received the request (epoch ms). */
  requestContext?: (NonNullable<RequestOrigin['requestContext']> & { requestTimeEpoch?: number }) | null;
  resource?: string;
  pathParameters?: Record<string, string | undefined> | null;
  queryStringParameters?: Record<string, string | undefined> | null;
  body?: string | null;
  isBase64Encoded?: boolean;
}

/** What the handler knows beyond the event, and what a test may stand in for. */
export interface HttpOptions {
  /** The time POST has until it must answer (from the Lambda context); by default API Gateway's limit from the request's arrival. */
  budget?: AnswerBudget;
  openStage?: (config: LambdaConfig) => RunsStage;
}

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** API Gateway gives up on a request after 29 s: a POST waits for the result at most this long (and less when the request arrived late: answer-budget.ts). */
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
export async function handleHttp(event: HttpEvent, requestId = 'unknown', options: HttpOptions = {}): Promise<HttpResponse> {
  try {
    const route = `${event.httpMethod} ${event.resource ?? event.path ?? ''}`;
    if (route === 'POST /runs') {
      const budget = options.budget ?? AnswerBudget.forRequest({ arrivedAt: event.requestContext?.requestTimeEpoch });
      return await startRun(event, budget, options.openStage ?? openRunsStage);
    }
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

async function startRun(event: HttpEvent, budget: AnswerBudget, openStage: (config: LambdaConfig) => RunsStage): Promise<HttpResponse> {
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
    // A job may outlast its run function (generations); without a timeout it gets one function's
    // time, with a little slack for the run function's own check.
    maxTimeoutSeconds: config.maxJobSeconds,
    defaultTimeoutSeconds: Math.floor((config.runTimeoutSeconds * 1000 - CLEANUP_MARGIN_MS - START_SLACK_MS) / 1000),
    maxRanks: config.maxRanks,
    diagnostics: config.diagnostics,
    maxWaitSeconds: MAX_WAIT_SECONDS,
  });
  const jobId = newJobId();
  const stage = openStage(config);
  // Before the run function is asked, a request out of time started nothing and says so.
  const tooSlow = (step: string) => json(503, {
    message: `the stage answered too slowly while ${step}: no job was started, so that the answer comes before API Gateway's ${API_GATEWAY_LIMIT_MS / 1000} s limit; try again`,
  }, { 'Retry-After': '1' });
  try {
    if (await budget.within(() => stage.assertProgramShipped(request.program)) === OUT_OF_TIME) return tooSlow('checking the program');
    // Recorded before the job starts, so a GET right after the 202 finds it.
    const record = { jobId, status: 'running', program: request.program, size: request.size, startedAt: new Date(budget.clock.now()).toISOString() } as const;
    if (await budget.within(() => stage.writeJobRecord(record)) === OUT_OF_TIME) return tooSlow('recording the job');
    const { waitSeconds = DEFAULT_WAIT_SECONDS, timeoutSeconds, input, ...job } = request;
    // Only a timeout the user asked for is passed on; otherwise the run function takes its own maximum.
    if ((body as { timeoutSeconds?: unknown }).timeoutSeconds !== undefined) Object.assign(job, { timeoutSeconds });
    // The job never started: its record must not stay "running" (written if time is left; a GET judges it lost otherwise).
    const neverStarted = (error: unknown) => budget.within(() => stage.writeJobRecord({ jobId, status: 'failed', error: failureInfo(error) })).catch(() => undefined);
    let invoked: typeof OUT_OF_TIME | void;
    try {
      // An asynchronous invocation carries at most 1 MB: a large input goes through S3.
      const inputReference = await budget.within(() => stage.storeInput(jobId, input));
      if (inputReference === OUT_OF_TIME) {
        await neverStarted(new TransportError('S3 PutObject', 'storing the input took longer than the request could wait'));
        return tooSlow('storing the input');
      }
      invoked = await budget.within(() => stage.invokeRun({ ...job, ...inputReference, jobId, mode: 'async' }));
    } catch (error) {
      await neverStarted(error);
      throw error instanceof ConfigurationError ? error : new TransportError('Lambda Invoke', `starting job ${jobId} failed: ${(error as Error).message}`, { cause: error });
    }
    const location = runLocation(event, jobId);
    const started = (message?: string) => json(202, { jobId, status: 'running', location, ...(message ? { message } : {}) }, { Location: location });
    // Asked but not yet acknowledged: the job may be starting. Its id is the caller's way to learn.
    if (invoked === OUT_OF_TIME) return started(`the run function was asked to start job ${jobId} but had not confirmed it within the request's time; GET ${location} says whether it runs`);
    const until = Math.min(budget.clock.now() + waitSeconds * 1000, budget.deadline);
    do {
      // A read that fails or hangs costs this wait, never the job's id: the answer is then 202.
      const status = await budget.within(() => stage.readJobRecord(jobId)).catch((error: unknown) => {
        console.error(`[job ${jobId}] lambda-mpi http POST /runs: reading the job's record failed: ${(error as Error).message}`);
        return undefined;
      });
      if (status !== OUT_OF_TIME && status && status.status !== 'running') return json(200, status);
      await budget.pause(Math.min(POLL_MS, until - budget.clock.now()));
    } while (budget.clock.now() < until);
    return started();
  } finally {
    stage.destroy();
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
    let status = await readJobRecord(clients.s3, config.aws.bucket, jobId);
    if (!status) return json(404, { message: `no job ${jobId}` });
    if (status.status === 'running') {
      // Whoever watches sees rank 0's death: a job that can no longer finish is lost, not running forever.
      const lost = judgeRunning(status, await readPulse(clients.s3, config.aws.bucket, jobId), Date.now(), config);
      if (lost) await writeJobRecord(clients.s3, config.aws.bucket, (status = lostRecord(status, lost)));
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
        return json(200, { ...outcome.record, cancelled: true, message: `job ${jobId} was cancelled: every rank stopped, its messages and objects are deleted` });
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

