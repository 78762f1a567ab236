import type { S3Client } from '@aws-sdk/client-s3';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { LambdaMpiError } from '../../mpi/errors.ts';
import { isModuleSpecifier } from '../../runtime/program-source.ts';
import { newJobId } from '../../runtime/job-id.ts';
import type { OutputLine } from '../../runtime/output.ts';
import { isShippedProgramId, shippedProgramHash, SHIPPED_PROGRAM_PREFIX } from '../../runtime/program-bundle.ts';
import { bundleProgram, formatBytes } from './bundle-program.ts';
import { checkBundle } from './check-bundle.ts';
import { assertStageDeployed, findStageTarget, type StageTarget } from './stage-target.ts';
import type { StageClients } from './stage-clients.ts';
import { objectExists, uploadBundle } from './upload-bundle.ts';
import { JobFollower } from './job-follower.ts';
import { explainLostStage } from './stage-connection.ts';
import { readJobRecord, type JobRecord } from '../../job-store/job-record.ts';
import { readJobTrace } from '../../job-store/job-trace.ts';
import type { JobRequest, RunInvocation } from '../../job-store/job-request.ts';
import type { JobProgress } from '../../runtime/job-events.ts';
import { requestCancel } from '../../watch/cancel-request.ts';
import { programBundleKey } from '../../job-store/keys.ts';

/**
 * A job request (its program a file, bundled and shipped, a shipped program's "sha256:<hex>", or a
 * bundled program's name; `trace`: the outcome carries the timeline) for a stage.
 */
export type StageRunRequest = JobRequest & { stage: string };

export interface StageRunHooks {
  /** Progress for the terminal's stderr: what was bundled, shipped, started. */
  onProgress(line: string): void;
  /**
   * Each line a rank printed, as the job's event log brings it while the job runs (in order per
   * rank); lines the log did not bring come from the job's answer or record at the end.
   */
  onOutput(line: OutputLine): void;
  /** The job's id, the moment it is made (before the job starts). */
  onJobStarted?(jobId: string): void;
  /** Ranks started and finished, as the job's event log says. */
  onJobProgress?(progress: JobProgress): void;
}

export interface StageRunDependencies {
  env: NodeJS.ProcessEnv;
  clients: StageClients;
  cloudFormation: () => CloudFormationClient;
  /**
   * Ctrl-C while the job runs: `listener` is called on each; the first cancels the job, a second
   * calls `exitNow`. Returns the function that stops listening.
   */
  onInterrupt?: (listener: () => void) => () => void;
  exitNow?: () => void;
}

/** What happened to a job started on a stage. */
export type StageRunOutcome =
  | { status: 'succeeded'; jobId: string; program: string; uploaded: boolean; result: unknown; body: Record<string, unknown>; trace?: string }
  | { status: 'failed'; jobId: string; program: string; uploaded: boolean; error: StageJobError }
  /** `tookMs`: from the cancel request (Ctrl-C) to the job's answer, every rank stopped and cleaned up. */
  | { status: 'cancelled'; jobId: string; program: string; uploaded: boolean; by: string; tookMs?: number };

/** How the stage reported a job's failure. */
export interface StageJobError {
  name: string;
  message: string;
  stack?: string;
  rank?: number;
  /** True when the stage refused the request before the job started (bad input: exit 2). */
  refused: boolean;
}

/** Error types with which the run function refuses a request before a job starts. */
const REFUSALS = new Set(['InvalidArgumentError', 'UnknownProgramError']);

/**
 * `lambda-mpi run <program> --stage S`: bundles a program file and ships it to the stage unless
 * it is there already, then runs the job on the stage's run function and reports its output and
 * outcome. Everything that can be refused here (the file, the bundle, the stage) is refused
 * before anything is uploaded or invoked; those errors are thrown (ProgramBundleError,
 * StageNotDeployedError …). A job that ran and failed is an outcome, not an exception.
 */
export async function runOnStage(request: StageRunRequest, hooks: StageRunHooks, deps: StageRunDependencies): Promise<StageRunOutcome> {
  let program = request.program;
  // A malformed id is refused here, not by the stage after a job was started for it.
  if (program.startsWith(SHIPPED_PROGRAM_PREFIX)) shippedProgramHash(program);
  let bundle: Awaited<ReturnType<typeof bundleProgram>> | undefined;
  if (!isShippedProgramId(program) && isModuleSpecifier(program)) {
    const started = Date.now();
    bundle = await bundleProgram(program);
    await checkBundle(bundle);
    hooks.onProgress(`bundled ${program} into ${bundle.id} (${formatBytes(bundle.bytes.byteLength)}, ${bundle.inputs.length} file${bundle.inputs.length === 1 ? '' : 's'}, ${Date.now() - started} ms)`);
    program = bundle.id;
  }
  const target = await findStageTarget(request.stage, deps.env, deps.cloudFormation);
  await assertStageDeployed(target, deps.clients);
  let uploaded = false;
  if (bundle) {
    const started = Date.now();
    const upload = await uploadBundle(deps.clients.s3, target.bucket, bundle);
    uploaded = upload.uploaded;
    hooks.onProgress(upload.uploaded
      ? `shipped ${bundle.id} to stage ${target.stage} (s3://${target.bucket}/${upload.key}, ${Date.now() - started} ms)`
      : `${bundle.id} is already on stage ${target.stage}; nothing to upload`);
  } else if (isShippedProgramId(program) && !(await objectExists(deps.clients.s3, target.bucket, programBundleKey(shippedProgramHash(program))))) {
    throw new UnknownShippedProgramError(program, target);
  }
  // The job's id is made here, so it is known (and printed) before the job ends; the run function
  // also takes it as the key of its start claim, so a repeated invocation does not run it twice.
  const jobId = newJobId();
  // The id is printed once the stage took the job (its event log began, or it answered): a request
  // the stage refuses (more ranks than it allows …) is refused before any job id is printed.
  let announced = false;
  const announce = () => {
    if (announced) return;
    announced = true;
    hooks.onProgress(`job ${jobId}: ${program} on ${request.size} rank${request.size === 1 ? '' : 's'} of stage ${target.stage}`);
    hooks.onJobStarted?.(jobId);
  };
  const follower = new JobFollower(deps.clients.s3, target.bucket, jobId, {
    onOutput: (line) => {
      announce();
      hooks.onOutput(line);
    },
    onProgress: (progress) => {
      announce();
      hooks.onJobProgress?.(progress);
    },
  });
  let cancelAskedAt: number | undefined;
  const stopListening = deps.onInterrupt?.(() => {
    if (cancelAskedAt !== undefined) {
      hooks.onProgress(`second Ctrl-C: exiting now; job ${jobId} is being cancelled (\`lambda-mpi cancel ${jobId} --stage ${target.stage}\` to make sure)`);
      deps.exitNow?.();
      return;
    }
    cancelAskedAt = Date.now();
    hooks.onProgress(`Ctrl-C: cancelling job ${jobId} (Ctrl-C again to exit at once)`);
    requestCancel(deps.clients.s3, target.bucket, jobId, 'Ctrl-C of lambda-mpi run')
      .catch((error: Error) => hooks.onProgress(`could not ask job ${jobId} to stop: ${error.message}`));
  });
  let response: Invocation;
  const invocation = new AbortController();
  try {
    const { stage: _stage, ...job } = request;
    const answered = invokeRun(deps.clients.lambda, target, { ...job, jobId, program }, invocation.signal).catch(async (error: unknown) => {
      // Aborted here once the record was final: not a stage that stopped answering.
      if (invocation.signal.aborted) throw error;
      // A stage that stopped answering (the local stack ended) is named as such, with the job's fate.
      follower.stop();
      throw await explainLostStage(error, { target, jobId, env: deps.env, readStatus: async () => (await readJobRecord(deps.clients.s3, target.bucket, jobId))?.status });
    });
    // The job is over when its record says so, whatever rank 0's invocation is doing (a rank 0
    // stuck in synchronous code is ended by its pulse, which records the job but cannot answer).
    const recorded = finalRecord(deps.clients.s3, target.bucket, jobId, invocation.signal);
    // A job longer than one Lambda: the first generation's run function answers that the job goes
    // on; its outcome is the record's once the last generation wrote it.
    const outcome = answered.then((invoked) => (goesOn(invoked) ? new Promise<Invocation>(() => undefined) : invoked));
    response = await Promise.race([outcome, recorded.then((record) => asInvocation(record))]);
    invocation.abort();
    await answered.catch(() => undefined);
    // A refused request has no event log to wait for.
    if (isRefusal(response)) follower.stop();
    else {
      announce();
      await follower.finish();
    }
  } finally {
    invocation.abort();
    stopListening?.();
    follower.stop();
  }
  if (follower.failure) hooks.onProgress(`live output was not available (${follower.failure.message}); the job's output follows from its answer`);
  if (!response.functionError) {
    const body = response.body as Record<string, unknown>;
    follower.printRest((body.output as OutputLine[] | undefined) ?? []);
    const trace = await readJobTrace(deps.clients.s3, target.bucket, jobId, body);
    return { status: 'succeeded', jobId, program, uploaded, result: body.result, body, ...(trace !== undefined ? { trace } : {}) };
  }
  // The invocation's error carries the message; the job's record adds the output and the stack
  // of the rank that failed.
  const record = await readRecord(deps.clients.s3, target.bucket, jobId);
  follower.printRest(record && 'output' in record ? (record.output as OutputLine[] | undefined) ?? [] : []);
  if (record?.status === 'cancelled') {
    announce();
    return { status: 'cancelled', jobId, program, uploaded, by: record.cancelledBy ?? 'a cancel request', ...(cancelAskedAt !== undefined ? { tookMs: Date.now() - cancelAskedAt } : {}) };
  }
  return { status: 'failed', jobId, program, uploaded, error: describeFailure(response.body, record) };
}

/** The first generation's answer: the job goes on in the next one (generation-handover.ts). */
function goesOn(response: Invocation): boolean {
  const body = response.body as { status?: unknown; generation?: unknown } | null;
  return !response.functionError && body?.status === 'running' && typeof body.generation === 'number';
}

/** The run function's answer to a request it refused before starting a job (its type names it; no rank failed). */
function isRefusal(response: Invocation): boolean {
  if (!response.functionError) return false;
  const body = (typeof response.body === 'object' && response.body !== null ? response.body : {}) as { errorType?: string; trace?: string[] };
  const type = body.errorType && body.errorType !== 'Error' ? body.errorType : /^(\w+):/.exec(body.trace?.[0] ?? '')?.[1];
  return type !== undefined && REFUSALS.has(type);
}

/** A "sha256:…" that the stage does not hold. */
export class UnknownShippedProgramError extends LambdaMpiError {
  constructor(readonly program: string, target: StageTarget) {
    super('UNKNOWN_PROGRAM', `unknown program ${program}: stage ${target.stage} does not have it (no s3://${target.bucket}/${programBundleKey(shippedProgramHash(program))}); ship it with \`lambda-mpi run <file> --stage ${target.stage}\``);
  }
}

interface Invocation {
  functionError?: string;
  body: unknown;
}

async function invokeRun(lambda: LambdaClient, target: StageTarget, payload: RunInvocation, signal: AbortSignal): Promise<Invocation> {
  const response = await lambda.send(new InvokeCommand({
    FunctionName: target.runFunction,
    InvocationType: 'RequestResponse',
    Payload: Buffer.from(JSON.stringify(payload)),
  }), { abortSignal: signal });
  const text = Buffer.from(response.Payload ?? []).toString();
  let body: unknown = text;
  try {
    body = JSON.parse(text || 'null');
  } catch {
    // not JSON: keep the text
  }
  return { ...(response.FunctionError ? { functionError: response.FunctionError } : {}), body };
}

/** How often the job's record is read while rank 0's invocation has not answered. */
const RECORD_POLL_MS = 1_000;

/** The job's record once it is final; never settles if `signal` aborts first (the invocation answered). */
function finalRecord(s3: S3Client, bucket: string, jobId: string, signal: AbortSignal): Promise<Exclude<JobRecord, { status: 'running' }>> {
  return new Promise((resolve) => {
    const poll = async () => {
      if (signal.aborted) return;
      const record = await readRecord(s3, bucket, jobId);
      if (signal.aborted) return;
      if (record !== undefined && record.status !== 'running') resolve(record);
      else setTimeout(() => void poll(), RECORD_POLL_MS);
    };
    setTimeout(() => void poll(), RECORD_POLL_MS);
  });
}

/** A final record read as rank 0's answer would have been: the result, or a failure the record details. */
function asInvocation(record: Exclude<JobRecord, { status: 'running' }>): Invocation {
  if (record.status === 'succeeded') return { body: record };
  return { functionError: 'Unhandled', body: { errorMessage: record.error.message, errorType: record.error.name } };
}

/** The job's record, read through the job store; none (or none readable) is undefined here. */
async function readRecord(s3: S3Client, bucket: string, jobId: string): Promise<JobRecord | undefined> {
  try {
    return await readJobRecord(s3, bucket, jobId);
  } catch {
    // No record (the request was refused before the job started) or none readable: the
    // invocation's own error says what happened.
    return undefined;
  }
}

function describeFailure(body: unknown, record: JobRecord | undefined): StageJobError {
  const invocation = (typeof body === 'object' && body !== null ? body : { errorMessage: String(body) }) as { errorMessage?: string; errorType?: string; trace?: string[] };
  // serverless-offline reports every errorType as "Error"; the trace's first line names the type.
  const traceType = /^(\w+):/.exec(invocation.trace?.[0] ?? '')?.[1];
  if (record?.status === 'running') {
    // The invocation failed and rank 0 recorded nothing: its process died (crash, out of memory, timeout).
    return {
      name: 'RankLostError',
      message: `rank 0 died without recording the job (${invocation.errorMessage ?? 'its invocation failed'}): the job is lost; ` +
        'its record says so within a minute, and the sweeper deletes what it left',
      rank: 0,
      refused: false,
    };
  }
  const failure = record?.status === 'failed' || record?.status === 'cancelled' || record?.status === 'lost' ? record.error : undefined;
  const name = failure?.name ?? (invocation.errorType && invocation.errorType !== 'Error' ? invocation.errorType : traceType) ?? 'Error';
  const message = failure?.message ?? invocation.errorMessage ?? 'the job failed';
  // The record's stack is the failed rank's program's own frames (or none: a timeout, a lost rank);
  // the invocation's trace is rank 0's internals, shown only when the job left no record.
  const stack = failure ? failure.stack : invocation.trace?.length ? invocation.trace.join('\n') : undefined;
  return {
    name,
    message,
    ...(stack ? { stack } : {}),
    ...(failure?.rank !== undefined ? { rank: failure.rank } : {}),
    refused: REFUSALS.has(name) && failure?.rank === undefined,
  };
}
