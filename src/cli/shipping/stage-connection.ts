import { LambdaMpiError } from '../../mpi/errors.ts';
import type { StageTarget } from './stage-target.ts';

/** Node's codes for a connection the other end refused or broke, in words. */
const LOST_CONNECTION: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection broken',
  ECONNABORTED: 'connection aborted',
};

/**
 * How the connection to a stage was lost ("connection reset" …), or undefined when `error` is not
 * a lost connection (an answer with an error, a bad request). The SDK passes Node's socket
 * errors on as they are ("socket hang up" is ECONNRESET), sometimes as the cause of its own.
 */
export function lostConnection(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && Object.hasOwn(LOST_CONNECTION, code)) return LOST_CONNECTION[code];
  }
  return undefined;
}

/** What the CLI could learn of the job after the stage stopped answering. */
export type JobFate =
  /** The job's record could not be read either: the stage's storage is gone too. */
  | { known: false; why: string }
  | { known: true; status: string };

/**
 * The stage stopped answering while a job ran on it: the local stack stopped (its process ended
 * or was stopped), or on AWS the connection to the run function broke. Names the stage, where it
 * was reached, the job, and what became of it.
 */
export class StageVanishedError extends LambdaMpiError {
  constructor(readonly stage: string, readonly endpoint: string, readonly jobId: string, readonly fate: JobFate, loss: string, local: boolean, options?: { cause?: unknown }) {
    super('STAGE_VANISHED', local ? localMessage(stage, endpoint, jobId, fate, loss) : awsMessage(stage, jobId, fate, loss), options);
  }
}

function localMessage(stage: string, endpoint: string, jobId: string, fate: JobFate, loss: string): string {
  const what = !fate.known
    ? `its state is unknown, and lost: the stack's S3 does not answer either (${fate.why}), and a restarted stack starts with an empty bucket`
    : fate.status === 'running'
      ? 'its record still says running, but its ranks ran inside the stack and ended with it: the job is lost'
      : `its record says ${fate.status}`;
  return `the local stack of stage ${stage} at ${endpoint} stopped answering (${loss}) while job ${jobId} was running; ${what}. ` +
    `Restart it with \`lambda-mpi offline --stage ${stage}\` (and its export lines), then run the job again`;
}

function awsMessage(stage: string, jobId: string, fate: JobFate, loss: string): string {
  const what = !fate.known ? `its record could not be read (${fate.why})` : `its record says ${fate.status}`;
  return `the connection to stage ${stage}'s run function broke (${loss}) while job ${jobId} was running; the job does not depend on it and may run on; ${what}. ` +
    `\`lambda-mpi cancel ${jobId} --stage ${stage}\` stops it`;
}

/**
 * The error to report when the invocation that runs a job failed: a StageVanishedError when the
 * connection was lost (after asking the stage's storage what became of the job), else `error`.
 */
export async function explainLostStage(error: unknown, context: { target: StageTarget; jobId: string; env: NodeJS.ProcessEnv; readStatus(): Promise<string | undefined> }): Promise<unknown> {
  const loss = lostConnection(error);
  if (!loss) return error;
  const { target, jobId, env } = context;
  let fate: JobFate;
  try {
    const status = await context.readStatus();
    fate = status === undefined ? { known: false, why: 'the job has no record' } : { known: true, status };
  } catch (readError) {
    fate = { known: false, why: lostConnection(readError) ?? (readError as Error).message };
  }
  const endpoint = env.AWS_ENDPOINT_URL_LAMBDA || env.AWS_ENDPOINT_URL || `the Lambda API (${target.runFunction})`;
  return new StageVanishedError(target.stage, endpoint, jobId, fate, loss, target.foundIn === 'environment', { cause: error });
}
