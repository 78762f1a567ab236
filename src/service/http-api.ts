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
import { failureInfo, readRunStatus, writeRunStatus, type RunStatus } from './run-status.ts';

/** The part of an API Gateway (REST, v1) proxy event this API reads. */
export interface HttpEvent extends RequestOrigin {
  httpMethod: string;
  resource?: string;
  pathParameters?: Record<string, string | undefined> | null;
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
 * GET /runs/{jobId} answers with the job's record: running, succeeded (with the result), failed,
 * or lost (rank 0 died or never started). A request is checked whole before anything is written;
 * a failure of the service itself is answered without its internals (they go to the log, under
 * `requestId`).
 */
export async function handleHttp(event: HttpEvent, requestId = 'unknown'): Promise<HttpResponse> {
  try {
    const route = `${event.httpMethod} ${event.resource ?? event.path ?? ''}`;
    if (route === 'POST /runs') return await startRun(event);
    if (event.httpMethod === 'GET' && (event.resource === '/runs/{jobId}' || /^\/runs\/[^/]+$/.test(event.path ?? ''))) {
      return await getRun(event.pathParameters?.jobId ?? (event.path ?? '').split('/').pop()!);
    }
    return json(404, { message: `no route ${route}; the routes are POST /runs and GET /runs/{jobId}` });
  } catch (error) {
    if (error instanceof InvalidArgumentError) return json(400, { message: error.message, argument: error.argument });
    console.error(`lambda-mpi http: request ${requestId} failed:`, error);
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

async function getRun(jobId: string): Promise<HttpResponse> {
  if (!isJobId(jobId)) throw new InvalidArgumentError('jobId', jobId, 'a job id as POST /runs returned it (26 letters a-z and digits 2-7)');
  const config = lambdaConfigFromEnv();
  const clients = createAwsClients(config.aws);
  try {
    let status = await readRunStatus(clients.s3, config.aws.bucket, jobId);
    if (status?.status === 'running') {
      // Whoever watches sees rank 0's death: a job that can no longer finish is lost, not running forever.
      const lost = judgeRunning(status, await readPulse(clients.s3, config.aws.bucket, jobId), Date.now(), config);
      if (lost) await writeRunStatus(clients.s3, config.aws.bucket, (status = lostRecord(status, lost)));
    }
    return status ? json(200, status) : json(404, { message: `no job ${jobId}` });
  } finally {
    clients.destroy();
  }
}

function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return { statusCode, headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

