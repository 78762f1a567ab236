import { InvokeCommand } from '@aws-sdk/client-lambda';
import { ConfigurationError, InvalidArgumentError } from '../mpi/errors.ts';
import { isJobId, newJobId } from '../runtime/job-id.ts';
import { createAwsClients } from '../transport/aws/clients.ts';
import { assertProgramShipped } from './job-program.ts';
import { parseJobRequest } from './job-request.ts';
import { createLambdaClient } from './launcher.ts';
import { CLEANUP_MARGIN_MS, lambdaConfigFromEnv } from './lambda-config.ts';
import { readRunStatus, writeRunStatus, type RunStatus } from './run-status.ts';

/** The part of an API Gateway (REST, v1) proxy event this API reads. */
export interface HttpEvent {
  httpMethod: string;
  resource?: string;
  path?: string;
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

/**
 * POST /runs starts a job through the run function (asynchronously, so the job may outlive the
 * request) and answers 200 with the result if it ends within the wait, else 202 with the job id.
 * GET /runs/{jobId} answers with the job's record: running, succeeded (with the result) or failed.
 */
export async function handleHttp(event: HttpEvent): Promise<HttpResponse> {
  try {
    const route = `${event.httpMethod} ${event.resource ?? event.path ?? ''}`;
    if (route === 'POST /runs') return await startRun(event);
    if (event.httpMethod === 'GET' && (event.resource === '/runs/{jobId}' || /^\/runs\/[^/]+$/.test(event.path ?? ''))) {
      return await getRun(event.pathParameters?.jobId ?? (event.path ?? '').split('/').pop()!);
    }
    return json(404, { message: `no route ${route}; the routes are POST /runs and GET /runs/{jobId}` });
  } catch (error) {
    if (error instanceof InvalidArgumentError) return json(400, { message: error.message, argument: error.argument });
    if (error instanceof ConfigurationError) return json(500, { message: `the service is misconfigured: ${error.message}` });
    console.error(error);
    return json(500, { message: `internal error: ${(error as Error).message}` });
  }
}

async function startRun(event: HttpEvent): Promise<HttpResponse> {
  const config = lambdaConfigFromEnv();
  if (!config.runFunction) throw new ConfigurationError('LAMBDA_MPI_RUN_FUNCTION', 'is not set: it names the run function that POST /runs starts');
  let body: unknown;
  const text = event.isBase64Encoded && event.body ? Buffer.from(event.body, 'base64').toString() : event.body;
  if (!text) throw new InvalidArgumentError('body', text ?? null, 'a JSON object { "program": name, "size": N, "input"?: any, "timeoutSeconds"?: seconds, "waitSeconds"?: seconds }', 'is missing: send a JSON object { "program": name, "size": N, "input"?: any, "timeoutSeconds"?: seconds, "waitSeconds"?: seconds }');
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new InvalidArgumentError('body', text, 'JSON', `is not valid JSON (${(error as Error).message})`);
  }
  const request = parseJobRequest(body, {
    // The run function checks again against its own remaining time; leave it a little slack.
    maxTimeoutSeconds: Math.floor((config.runTimeoutSeconds * 1000 - CLEANUP_MARGIN_MS - START_SLACK_MS) / 1000),
    maxWaitSeconds: MAX_WAIT_SECONDS,
  });
  const jobId = newJobId();
  const clients = createAwsClients(config.aws);
  const lambda = createLambdaClient(config.aws);
  try {
    await assertProgramShipped(request.program, clients.s3, config.aws.bucket, config.stage);
    // Recorded before the job starts, so a GET right after the 202 finds it.
    await writeRunStatus(clients.s3, config.aws.bucket, { jobId, status: 'running', program: request.program, size: request.size, startedAt: new Date().toISOString() });
    const { waitSeconds = DEFAULT_WAIT_SECONDS, timeoutSeconds, ...job } = request;
    // Only a timeout the user asked for is passed on; otherwise the run function takes its own maximum.
    if ((body as { timeoutSeconds?: unknown }).timeoutSeconds !== undefined) Object.assign(job, { timeoutSeconds });
    await lambda.send(new InvokeCommand({
      FunctionName: config.runFunction,
      InvocationType: 'Event',
      Payload: Buffer.from(JSON.stringify({ ...job, jobId, mode: 'async' })),
    }));
    const until = Date.now() + waitSeconds * 1000;
    let status: RunStatus | undefined;
    do {
      status = await readRunStatus(clients.s3, config.aws.bucket, jobId);
      if (status && status.status !== 'running') return json(200, status);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    } while (Date.now() < until);
    return json(202, { jobId, status: 'running', location: `/runs/${jobId}` }, { Location: `/runs/${jobId}` });
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
    const status = await readRunStatus(clients.s3, config.aws.bucket, jobId);
    return status ? json(200, status) : json(404, { message: `no job ${jobId}` });
  } finally {
    clients.destroy();
  }
}

function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return { statusCode, headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

