import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { ConfigurationError } from '../../src/index.ts';
import { readJobRecord } from '../../src/job-store/job-record.ts';
import { localS3Client } from '../../tools/local-aws/clients.ts';
import { handler } from '../../src/service/handlers/run.ts';
import { stageChannelFromEnv } from '../../src/service/stage-channel.ts';
import { freePort } from '../../tools/local-aws/free-port.ts';
import { findLeftovers } from '../aws/leftovers.ts';
import { rejection } from '../conformance/target.ts';

/**
 * A stage over Valkey whose cache URL is wrong or leads nowhere: the functions refuse it by name
 * before any rank starts. Rank 0 runs in this process (the run function's handler) against the
 * local S3, with the Lambda API on a local server that counts the invocations it is asked for: no
 * worker may be invoked.
 */
const local = inject('localAws');
let lambdaApi: Server;
/** Invocations of a function asked of the Lambda API (its account settings, which rank 0 also reads, are not counted). */
let invocations = 0;
const savedEnv = { ...process.env };

beforeAll(async () => {
  lambdaApi = createServer((request, response) => {
    if (/\/functions\/[^/]+\/invocations/.test(request.url ?? '')) invocations++;
    request.resume();
    response.statusCode = 500;
    response.end('{}');
  });
  await new Promise<void>((resolve) => lambdaApi.listen(0, '127.0.0.1', resolve));
});
afterAll(() => {
  process.env = savedEnv;
  lambdaApi.close();
});

describe('a stage whose Valkey URL leads nowhere', () => {
  it('is refused by the functions\' configuration when it is not a redis:// or rediss:// URL, saying what is allowed', () => {
    const error = (() => {
      try {
        return stageChannelFromEnv({ LAMBDA_MPI_CHANNEL: 'valkey', LAMBDA_MPI_VALKEY_URL: 'https://cache.example:6379' });
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).message).toMatch(/must be redis:\/\/host:port or rediss:\/\/host:port \(TLS\); received "https:\/\/cache\.example:6379"/);
  });

  it('fails the job at rank 0 with a ConfigurationError naming the URL, before any worker is invoked, and leaves nothing', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    Object.assign(process.env, {
      LAMBDA_MPI_CHANNEL: 'valkey', LAMBDA_MPI_VALKEY_URL: url, LAMBDA_MPI_WORKER_FUNCTION: 'worker', LAMBDA_MPI_QUEUE_PREFIX: 'lmvurl',
      LAMBDA_MPI_BUCKET: local.bucket, AWS_REGION: local.region, AWS_ACCESS_KEY_ID: local.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: local.credentials.secretAccessKey,
      AWS_ENDPOINT_URL_S3: local.s3Endpoint, AWS_ENDPOINT_URL_SQS: local.sqsEndpoint, AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${(lambdaApi.address() as { port: number }).port}`,
    });
    // The job's id is in rank 0's log lines ("[job <id>] lambda-mpi: …").
    const logged = vi.spyOn(process.stdout, 'write');
    const error = await rejection(handler({ program: 'hello', size: 3 }, { getRemainingTimeInMillis: () => 60_000 }) as Promise<unknown>);
    const jobId = logged.mock.calls.map(([chunk]) => /^\[job ([a-z2-7]{26})\]/.exec(String(chunk))?.[1]).find(Boolean)!;
    logged.mockRestore();
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.setting).toBe('valkey.url');
    expect(error.message).toContain(url);
    expect(invocations).toBe(0);
    const s3 = localS3Client(local.s3Endpoint);
    try {
      expect(await readJobRecord(s3, local.bucket, jobId)).toMatchObject({ status: 'failed', error: { name: 'ConfigurationError' } });
    } finally {
      s3.destroy();
    }
    expect(await findLeftovers(local, `lmvurl-${jobId}-`, [`jobs/${jobId}/`])).toEqual({ queues: [], objects: [] });
  });
});
