import { awsSettingsFromEnv, vectorReductionFromEnv, type AwsSettings, type VectorReduction } from '../config.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
}

export function lambdaConfigFromEnv(env: NodeJS.ProcessEnv = process.env): LambdaConfig {
  const workerFunction = env.LAMBDA_MPI_WORKER_FUNCTION;
  if (!workerFunction) throw new ConfigurationError('LAMBDA_MPI_WORKER_FUNCTION', 'is not set: it names the worker function that runs ranks 1..N-1');
  const fanout = env.LAMBDA_MPI_FANOUT ? Number(env.LAMBDA_MPI_FANOUT) : DEFAULT_FANOUT;
  if (!Number.isInteger(fanout) || fanout < 1 || fanout > 64) {
    throw new ConfigurationError('LAMBDA_MPI_FANOUT', `must be an integer in 1..64 (ranks each rank starts); received ${env.LAMBDA_MPI_FANOUT}`);
  }
  const runTimeoutSeconds = env.LAMBDA_MPI_RUN_TIMEOUT_SECONDS ? Number(env.LAMBDA_MPI_RUN_TIMEOUT_SECONDS) : 900;
  return {
    aws: awsSettingsFromEnv(env),
    workerFunction,
    ...(env.LAMBDA_MPI_RUN_FUNCTION ? { runFunction: env.LAMBDA_MPI_RUN_FUNCTION } : {}),
    fanout,
    vectorReduction: vectorReductionFromEnv(env),
    runTimeoutSeconds,
    programCacheDir: env.LAMBDA_MPI_PROGRAM_CACHE_DIR || join(tmpdir(), 'lambda-mpi-programs'),
    ...(env.LAMBDA_MPI_STAGE ? { stage: env.LAMBDA_MPI_STAGE } : {}),
  };
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
