import type { VectorReduction } from './mpi/comm/vector-reductions.ts';
import { ConfigurationError } from './mpi/errors.ts';

export type { VectorReduction };

/**
 * Everything the AWS transport needs, in one typed place. Credentials are not here: they come
 * from the SDK's standard chain (environment, profile, role) unless given explicitly.
 */
export interface AwsSettings {
  /** AWS region; when absent the SDK's own sources decide (AWS_REGION, profile). */
  region?: string;
  /** Endpoint overrides for local servers; absent = the SDK's standard sources (AWS_ENDPOINT_URL_SQS …). */
  endpoints?: { sqs?: string; s3?: string; lambda?: string };
  /** The bucket for large message bodies (claim checks) under `jobs/{jobId}/`. */
  bucket: string;
  /** Queue names start with this (and IAM policies may scope to it). */
  queuePrefix: string;
  /** Path-style S3 addressing, needed for local servers. */
  forcePathStyle: boolean;
  /**
   * The queues' maximum message size in bytes (SQS allows 1 MiB; 256 KiB is the classic limit).
   * 1 MiB by default: a body up to ~767 KiB then goes in the queue message, one SQS hop instead
   * of an S3 put, a hop and a get (docs/architecture.md, "The data plane, chosen by the model").
   */
  maxMessageBytes: number;
  /** Explicit credentials (tests against local servers); otherwise the SDK's default chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Long-poll wait of the receive loop, in seconds (1..20). */
  receiveWaitSeconds: number;
  /**
   * How long a new queue is left alone before use: AWS asks for one second after CreateQueue.
   * Local servers need none (the default when an SQS endpoint is given).
   */
  queueReadyDelayMs: number;
}

export const DEFAULT_QUEUE_PREFIX = 'lambda-mpi';
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;

/** Environment variables, as process.env holds them (a plain type: the declarations need no Node types). */
export type Environment = Readonly<Record<string, string | undefined>>;

/** Reads the settings from the environment (the Lambda functions' configuration). */
export function awsSettingsFromEnv(env: Environment = process.env): AwsSettings {
  const bucket = env.LAMBDA_MPI_BUCKET;
  if (!bucket) throw new ConfigurationError('LAMBDA_MPI_BUCKET', 'is not set: it names the S3 bucket for large messages');
  return resolveAwsSettings({
    bucket,
    ...(env.AWS_REGION ?? env.AWS_DEFAULT_REGION ? { region: (env.AWS_REGION ?? env.AWS_DEFAULT_REGION)! } : {}),
    ...(env.LAMBDA_MPI_QUEUE_PREFIX ? { queuePrefix: env.LAMBDA_MPI_QUEUE_PREFIX } : {}),
    ...(env.LAMBDA_MPI_MAX_MESSAGE_BYTES ? { maxMessageBytes: Number(env.LAMBDA_MPI_MAX_MESSAGE_BYTES) } : {}),
    ...(env.LAMBDA_MPI_RECEIVE_WAIT_SECONDS ? { receiveWaitSeconds: Number(env.LAMBDA_MPI_RECEIVE_WAIT_SECONDS) } : {}),
    // A custom SQS endpoint is a local server in practice: no one-second wait after CreateQueue.
    queueReadyDelayMs: env.LAMBDA_MPI_QUEUE_READY_DELAY_MS ? Number(env.LAMBDA_MPI_QUEUE_READY_DELAY_MS) : env.AWS_ENDPOINT_URL_SQS ? 0 : 1000,
    // A custom S3 endpoint is a local server in practice: those need path-style addressing.
    forcePathStyle: env.LAMBDA_MPI_S3_PATH_STYLE ? env.LAMBDA_MPI_S3_PATH_STYLE === 'true' : Boolean(env.AWS_ENDPOINT_URL_S3),
  });
}

/** Fills defaults and checks every setting, naming what is wrong and what is allowed. */
export function resolveAwsSettings(input: Partial<AwsSettings> & { bucket: string }): AwsSettings {
  const settings: AwsSettings = {
    queuePrefix: DEFAULT_QUEUE_PREFIX,
    forcePathStyle: Boolean(input.endpoints?.s3),
    maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
    receiveWaitSeconds: 20,
    queueReadyDelayMs: input.endpoints?.sqs ? 0 : 1000,
    ...input,
  };
  if (typeof settings.bucket !== 'string' || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(settings.bucket)) {
    throw new ConfigurationError('bucket', `must be an S3 bucket name (3-63 lower-case letters, digits, dots, hyphens); received ${JSON.stringify(settings.bucket)}`);
  }
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(settings.queuePrefix)) {
    throw new ConfigurationError('queuePrefix', `must be 1-40 letters, digits, '-' or '_'; received ${JSON.stringify(settings.queuePrefix)}`);
  }
  if (!Number.isInteger(settings.maxMessageBytes) || settings.maxMessageBytes < 16 * 1024 || settings.maxMessageBytes > 1024 * 1024) {
    throw new ConfigurationError('maxMessageBytes', `must be an integer in 16384..1048576 (SQS's limits); received ${settings.maxMessageBytes}`);
  }
  if (!Number.isInteger(settings.receiveWaitSeconds) || settings.receiveWaitSeconds < 1 || settings.receiveWaitSeconds > 20) {
    throw new ConfigurationError('receiveWaitSeconds', `must be an integer in 1..20 (SQS long polling); received ${settings.receiveWaitSeconds}`);
  }
  if (!Number.isInteger(settings.queueReadyDelayMs) || settings.queueReadyDelayMs < 0 || settings.queueReadyDelayMs > 60_000) {
    throw new ConfigurationError('queueReadyDelayMs', `must be an integer number of ms in 0..60000 (AWS asks for 1000 after CreateQueue); received ${settings.queueReadyDelayMs}`);
  }
  for (const [service, url] of Object.entries(settings.endpoints ?? {})) {
    if (url === undefined) continue;
    try {
      new URL(url);
    } catch {
      throw new ConfigurationError(`endpoints.${service}`, `must be a URL such as http://127.0.0.1:4566; received ${JSON.stringify(url)}`);
    }
  }
  return settings;
}

/** LAMBDA_MPI_VECTOR_REDUCTION: how large vectors are reduced (see `VectorReduction`). */
export function vectorReductionFromEnv(env: Environment = process.env): VectorReduction {
  const value = env.LAMBDA_MPI_VECTOR_REDUCTION ?? 'auto';
  if (value !== 'auto' && value !== 'split' && value !== 'tree') {
    throw new ConfigurationError('LAMBDA_MPI_VECTOR_REDUCTION', `must be auto, split or tree; received ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * LAMBDA_MPI_MAX_THREADS: the most worker threads a job in threads starts (its ranks then share
 * them); undefined when unset (run-threads.ts chooses from the cores).
 */
export function maxThreadsFromEnv(env: Environment = process.env): number | undefined {
  const value = env.LAMBDA_MPI_MAX_THREADS;
  if (value === undefined || value === '') return undefined;
  const count = Number(value);
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new ConfigurationError('LAMBDA_MPI_MAX_THREADS', `must be a whole number of threads, 1 or more; received ${JSON.stringify(value)}`);
  }
  return count;
}

/**
 * How programs' files on S3 (`File.open(comm, 's3://…')`) are reached: the SDK's standard sources
 * (region, credentials, AWS_ENDPOINT_URL_S3), with path-style addressing where a custom S3
 * endpoint (a local server in practice) is given, as for the transport's bucket.
 */
export function fileS3SettingsFromEnv(env: Environment = process.env): { forcePathStyle: boolean } {
  return { forcePathStyle: env.LAMBDA_MPI_S3_PATH_STYLE ? env.LAMBDA_MPI_S3_PATH_STYLE === 'true' : Boolean(env.AWS_ENDPOINT_URL_S3) };
}
