import { awsSettingsFromEnv, vectorReductionFromEnv, type AwsSettings, type VectorReduction } from '../config.ts';
import { dataBucketProblem } from '../file/data-buckets.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_SIZE } from '../mpi/constants.ts';
import { ConfigurationError } from '../mpi/errors.ts';
import { DEFAULT_FANOUT } from './fanout.ts';
import { DEFAULT_LOG_FLUSH_MS } from '../watch/event-log-writer.ts';
import { stageChannelFromEnv, type StageChannel } from './stage-channel.ts';

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
  /** This function's memory, MB (AWS_LAMBDA_FUNCTION_MEMORY_SIZE): what its GB-seconds are billed at. */
  memoryMb?: number;
  /** The functions' architecture as deployed (LAMBDA_MPI_ARCHITECTURE): arm64 and x86_64 are priced apart. */
  architecture: 'arm64' | 'x86_64';
  /** The region the functions run in (AWS_REGION): prices differ by region. */
  region?: string;
  /**
   * How often rank 0 writes the job's event log while there is news (LAMBDA_MPI_WATCH_FLUSH_MS):
   * live output's lag against its S3 PUTs (one per interval while ranks print).
   */
  watchFlushMs: number;
  /**
   * The stage's job role (LAMBDA_MPI_JOB_ROLE_ARN): a job's program runs under it, narrowed to its
   * job (program-credentials.ts). When set, lambda-mpi's own clients are given the function's
   * credentials explicitly (`aws.credentials`), so the program's do not become theirs.
   */
  jobRoleArn?: string;
  /** The buckets a job's program may use with File (LAMBDA_MPI_DATA_BUCKETS, from --data-bucket). */
  dataBuckets: string[];
  /** What carries the jobs' messages: SQS queues, or the stage's Valkey cache (stage-channel.ts). */
  channel: StageChannel;
}

export function lambdaConfigFromEnv(env: NodeJS.ProcessEnv = process.env): LambdaConfig {
  const workerFunction = env.LAMBDA_MPI_WORKER_FUNCTION;
  if (!workerFunction) throw new ConfigurationError('LAMBDA_MPI_WORKER_FUNCTION', 'is not set: it names the worker function that runs ranks 1..N-1');
  const fanout = env.LAMBDA_MPI_FANOUT ? Number(env.LAMBDA_MPI_FANOUT) : DEFAULT_FANOUT;
  if (!Number.isInteger(fanout) || fanout < 1 || fanout > 64) {
    throw new ConfigurationError('LAMBDA_MPI_FANOUT', `must be an integer in 1..64 (ranks each rank starts); received ${env.LAMBDA_MPI_FANOUT}`);
  }
  const runTimeoutSeconds = env.LAMBDA_MPI_RUN_TIMEOUT_SECONDS ? Number(env.LAMBDA_MPI_RUN_TIMEOUT_SECONDS) : 900;
  // A job longer than one function goes on in generations: the guard bounds the whole job.
  const maxJobSeconds = integerSetting(env, 'LAMBDA_MPI_MAX_JOB_SECONDS', runTimeoutSeconds - CLEANUP_MARGIN_MS / 1000, 1, MAX_JOB_SECONDS, 'seconds: the longest timeoutSeconds a job may ask for, all its generations together');
  const watchFlushMs = env.LAMBDA_MPI_WATCH_FLUSH_MS ? Number(env.LAMBDA_MPI_WATCH_FLUSH_MS) : DEFAULT_LOG_FLUSH_MS;
  if (!Number.isInteger(watchFlushMs) || watchFlushMs < 50 || watchFlushMs > 60_000) {
    throw new ConfigurationError('LAMBDA_MPI_WATCH_FLUSH_MS', `must be an integer number of milliseconds in 50..60000 (how often rank 0 writes the job's event log); received ${env.LAMBDA_MPI_WATCH_FLUSH_MS}`);
  }
  const jobRoleArn = env.LAMBDA_MPI_JOB_ROLE_ARN || undefined;
  if (jobRoleArn !== undefined && !/^arn:[a-z-]+:iam::\d{12}:role\/[\w+=,.@\/-]+$/.test(jobRoleArn)) {
    throw new ConfigurationError('LAMBDA_MPI_JOB_ROLE_ARN', `must be an IAM role's ARN (arn:aws:iam::<account>:role/<name>), or empty where there is no job role; received ${jobRoleArn}`);
  }
  return {
    aws: { ...awsSettingsFromEnv(env), ...(jobRoleArn ? functionCredentials(env) : {}) },
    ...(jobRoleArn ? { jobRoleArn } : {}),
    dataBuckets: dataBucketsFromEnv(env),
    workerFunction,
    ...(env.LAMBDA_MPI_RUN_FUNCTION ? { runFunction: env.LAMBDA_MPI_RUN_FUNCTION } : {}),
    fanout,
    vectorReduction: vectorReductionFromEnv(env),
    runTimeoutSeconds,
    watchFlushMs,
    programCacheDir: env.LAMBDA_MPI_PROGRAM_CACHE_DIR || join(tmpdir(), 'lambda-mpi-programs'),
    ...(env.LAMBDA_MPI_STAGE ? { stage: env.LAMBDA_MPI_STAGE } : {}),
    maxRanks: integerSetting(env, 'LAMBDA_MPI_MAX_RANKS', MAX_SIZE, 1, MAX_SIZE, 'ranks: the largest size a job may ask for'),
    maxJobSeconds,
    diagnostics: booleanSetting(env, 'LAMBDA_MPI_DIAGNOSTICS', false),
    startDeadlineMs: 1000 * integerSetting(env, 'LAMBDA_MPI_START_DEADLINE_SECONDS', DEFAULT_START_DEADLINE_SECONDS, 1, 900, 'seconds a rank has to check in after its invocation'),
    silenceMs: 1000 * integerSetting(env, 'LAMBDA_MPI_SILENCE_SECONDS', DEFAULT_SILENCE_SECONDS, 2, 900, 'seconds a running rank may go without a beat'),
    sweepAtJobStart: booleanSetting(env, 'LAMBDA_MPI_SWEEP_AT_JOB_START', false),
    channel: stageChannelFromEnv(env),
    ...(Number(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE) > 0 ? { memoryMb: Number(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE) } : {}),
    architecture: env.LAMBDA_MPI_ARCHITECTURE === 'x86_64' ? 'x86_64' : env.LAMBDA_MPI_ARCHITECTURE === 'arm64' ? 'arm64' : process.arch === 'arm64' ? 'arm64' : 'x86_64',
    ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}),
  };
}

/** The function's own credentials, as Lambda puts them in its environment. */
function functionCredentials(env: NodeJS.ProcessEnv): Pick<LambdaConfig['aws'], 'credentials'> {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = env;
  if (!accessKeyId || !secretAccessKey) return {};
  return { credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } };
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

/** The largest maxJobSeconds a stage may set: a week of generations. */
export const MAX_JOB_SECONDS = 7 * 24 * 3600;

/** Time rank 0 keeps back from its function's timeout to clean up and answer. */
export const CLEANUP_MARGIN_MS = 10_000;

/**
 * Whether this process is a Lambda execution environment, which starts with the function's init
 * phase: Lambda sets AWS_LAMBDA_INITIALIZATION_TYPE there; emulators (serverless-offline) do not.
 */
export function processStartsWithInit(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.AWS_LAMBDA_INITIALIZATION_TYPE !== undefined;
}

/** Where a rank runs, as MPI_Get_processor_name says it: the Lambda's log stream. */
export function lambdaProcessorName(): string {
  return process.env.AWS_LAMBDA_LOG_STREAM_NAME || process.env.AWS_LAMBDA_FUNCTION_NAME || 'lambda';
}

/**
 * A rank's output, as it is printed, into the function's own log: each line with the job's id
 * and the rank, so the lines of concurrent jobs in one log group can be told apart.
 */
export function printToLog(jobId: string): (line: { rank: number; stream: 'stdout' | 'stderr'; line: string }) => void {
  return (line) => (line.stream === 'stderr' ? process.stderr : process.stdout).write(`[job ${jobId}] [rank ${line.rank}] ${line.line}\n`);
}

/** A line of the functions' own about a job, into their log: with the job's id, like the ranks' lines. */
export function logForJob(jobId: string, message: string, stream: 'stdout' | 'stderr' = 'stdout'): void {
  (stream === 'stderr' ? process.stderr : process.stdout).write(`[job ${jobId}] lambda-mpi: ${message}\n`);
}

/** LAMBDA_MPI_DATA_BUCKETS: comma-separated bucket names (empty: none). */
function dataBucketsFromEnv(env: NodeJS.ProcessEnv): string[] {
  const names = (env.LAMBDA_MPI_DATA_BUCKETS ?? '').split(',').map((name) => name.trim()).filter((name) => name.length > 0);
  for (const name of names) {
    const problem = dataBucketProblem(name);
    if (problem) throw new ConfigurationError('LAMBDA_MPI_DATA_BUCKETS', `must be comma-separated S3 bucket names: ${problem}`);
  }
  return names;
}
