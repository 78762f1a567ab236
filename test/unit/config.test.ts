import { describe, expect, it } from 'vitest';
import { awsSettingsFromEnv, vectorReductionFromEnv } from '../../src/config.ts';
import { ConfigurationError } from '../../src/index.ts';
import { lambdaConfigFromEnv } from '../../src/service/lambda-config.ts';

describe('configuration from the environment', () => {
  it('reads the vector reduction choice, auto by default, and refuses anything else by name', () => {
    expect(vectorReductionFromEnv({})).toBe('auto');
    expect(vectorReductionFromEnv({ LAMBDA_MPI_VECTOR_REDUCTION: 'split' })).toBe('split');
    expect(() => vectorReductionFromEnv({ LAMBDA_MPI_VECTOR_REDUCTION: 'fast' })).toThrow(
      new ConfigurationError('LAMBDA_MPI_VECTOR_REDUCTION', 'must be auto, split or tree; received "fast"'),
    );
  });

  it('reads the AWS settings the functions get, with path-style S3 when a custom S3 endpoint is set', () => {
    expect(awsSettingsFromEnv({ LAMBDA_MPI_BUCKET: 'my-bucket', AWS_REGION: 'eu-west-1', LAMBDA_MPI_QUEUE_PREFIX: 'svc-prod', AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4569' })).toMatchObject({
      bucket: 'my-bucket', region: 'eu-west-1', queuePrefix: 'svc-prod', forcePathStyle: true, maxMessageBytes: 262144, receiveWaitSeconds: 20,
    });
    expect(awsSettingsFromEnv({ LAMBDA_MPI_BUCKET: 'my-bucket' }).forcePathStyle).toBe(false);
  });

  it('names the missing bucket setting', () => {
    expect(() => awsSettingsFromEnv({})).toThrow(/LAMBDA_MPI_BUCKET: is not set/);
  });

  it("reads the functions' memory, architecture and event-log pace, refusing a pace out of range", () => {
    const base = { LAMBDA_MPI_BUCKET: 'my-bucket', LAMBDA_MPI_WORKER_FUNCTION: 'w' };
    expect(lambdaConfigFromEnv({ ...base, AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1769', LAMBDA_MPI_ARCHITECTURE: 'x86_64', LAMBDA_MPI_WATCH_FLUSH_MS: '1000' })).toMatchObject({
      memoryMb: 1769, architecture: 'x86_64', watchFlushMs: 1000,
    });
    expect(lambdaConfigFromEnv(base).watchFlushMs).toBe(250);
    expect(() => lambdaConfigFromEnv({ ...base, LAMBDA_MPI_WATCH_FLUSH_MS: '10' })).toThrow(/^LAMBDA_MPI_WATCH_FLUSH_MS: must be an integer number of milliseconds in 50\.\.60000 .*; received 10$/);
  });
});
