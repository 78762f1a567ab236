import { awsSettingsFromEnv, vectorReductionFromEnv, type AwsSettings, type VectorReduction } from '../config.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_SIZE } from '../mpi/constants.ts';
import { ConfigurationError } from '../mpi/errors.ts';
import { DEFAULT_FANOUT } from './fanout.ts';

/** The functions' configuration, read once from their environment (set by serverless.yml). */
export interface LambdaConfig {
  aws: AwsSettings;
  workerFunction: string;
  runFunction?: string;
  fanout: number;
  vectorReduction: VectorReduction;
  /** The run function's own timeout: the longest job an HTTP request may ask for. */
  runTimeoutSeconds: number;
  /** Where shipped program bundles are kept across warm invocations (under /tmp on Lambda). */
  programCacheDir: string;
  /** The stage the functions belong to (LAMBDA_MPI_STAGE), for advice in errors. */
  stage?: string;
  /** Cost guards of the stage: the largest job a request may ask for, and its longest timeout. */
  maxRanks: number;
  maxJobSeconds: number;
  /** Whether the diagnostics programs (fail-rank, crash-rank, busy-rank) may run on this stage. */
  diagnostics: boolean;
  /** Liveness: how long after its invocation a rank must check in, and how long it may go without a beat. */
  startDeadlineMs: number;
  silenceMs: number;
  /** Sweep ended and lost jobs when a job starts (the local stack, which has no schedule). */
  sweepAtJobStart: boolean;
}

export function lambdaConfigFromEnv(env: NodeJS.ProcessEnv = process.env): LambdaConfig {
  const workerFunction = env.LAMBDA_MPI_WORKER_FUNCTION;
  if (!workerFunction) throw new ConfigurationError('LAMBDA_MPI_WORKER_FUNCTION', 'is not set: it names the worker function that runs ranks 1..N-1');
  const fanout = env.LAMBDA_MPI_FANOUT ? Number(env.LAMBDA_MPI_FANOUT) : DEFAULT_FANOUT;
  if (!Number.isInteger(fanout) || fanout < 1 || fanout > 64) {
    throw new ConfigurationError('LAMBDA_MPI_FANOUT', `must be an integer in 1..64 (ranks each rank starts); received ${env.LAMBDA_MPI_FANOUT}`);
  }
  const runTimeoutSeconds = env.LAMBDA_MPI_RUN_TIMEOUT_SECONDS ? Number(env.LAMBDA_MPI_RUN_TIMEOUT_SECONDS) : 900;
  const maxJobSeconds = integerSetting(env, 'LAMBDA_MPI_MAX_JOB_SECONDS', runTimeoutSeconds - CLEANUP_MARGIN_MS / 1000, 1, 900, 'seconds: the longest timeoutSeconds a job may ask for');
  return {
    aws: awsSettingsFromEnv(env),
    workerFunction,
    ...(env.LAMBDA_MPI_RUN_FUNCTION ? { runFunction: env.LAMBDA_MPI_RUN_FUNCTION } : {}),
    fanout,
    vectorReduction: vectorReductionFromEnv(env),
    runTimeoutSeconds,
    programCacheDir: env.LAMBDA_MPI_PROGRAM_CACHE_DIR || join(tmpdir(), 'lambda-mpi-programs'),
    ...(env.LAMBDA_MPI_STAGE ? { stage: env.LAMBDA_MPI_STAGE } : {}),
    maxRanks: integerSetting(env, 'LAMBDA_MPI_MAX_RANKS', MAX_SIZE, 1, MAX_SIZE, 'ranks: the largest size a job may ask for'),
    maxJobSeconds,
    diagnostics: booleanSetting(env, 'LAMBDA_MPI_DIAGNOSTICS', false),
    startDeadlineMs: 1000 * integerSetting(env, 'LAMBDA_MPI_START_DEADLINE_SECONDS', DEFAULT_START_DEADLINE_SECONDS, 1, 900, 'seconds a rank has to check in after its invocation'),
    silenceMs: 1000 * integerSetting(env, 'LAMBDA_MPI_SILENCE_SECONDS', DEFAULT_SILENCE_SECONDS, 2, 900, 'seconds a running rank may go without a beat'),
    sweepAtJobStart: booleanSetting(env, 'LAMBDA_MPI_SWEEP_AT_JOB_START', false),
  };
}

export const DEFAULT_START_DEADLINE_SECONDS = 30;
export const DEFAULT_SILENCE_SECONDS = 10;

function integerSetting(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number, meaning: string): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigurationError(name, `must be an integer in ${min}..${max} (${meaning}); received ${JSON.stringify(text)}`);
  }
  return value;
}

function booleanSetting(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  if (text === 'true' || text === 'false') return text === 'true';
  throw new ConfigurationError(name, `must be true or false; received ${JSON.stringify(text)}`);
}

/** Time rank 0 keeps back from its function's timeout to clean up and answer. */
export const CLEANUP_MARGIN_MS = 10_000;

/** Where a rank runs, as MPI_Get_processor_name says it: the Lambda's log stream. */
export function lambdaProcessorName(): string {
  return process.env.AWS_LAMBDA_LOG_STREAM_NAME || process.env.AWS_LAMBDA_FUNCTION_NAME || 'lambda';
}

/** A rank's output, as it is printed, into the function's own log. */
export function printToLog(line: { rank: number; stream: 'stdout' | 'stderr'; line: string }): void {
  (line.stream === 'stderr' ? process.stderr : process.stdout).write(`[rank ${line.rank}] ${line.line}\n`);
}
