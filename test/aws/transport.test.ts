import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { ConfigurationError, SUM, defineProgram, runLocal, type Program, type RunLocalOptions, type RunResult } from '../../src/index.ts';
import { RAW_HEADER_BYTES } from '../../src/mpi/codec/codec.ts';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../../src/config.ts';
import { wireLimits } from '../../src/transport/aws/wire.ts';
import { peekFrames } from './wire-peek.ts';
import { rejection } from '../conformance/target.ts';
import { localS3Client } from '../../tools/local-aws/clients.ts';
import { itLeavesNothingBehind, recordJobId } from './leftovers.ts';
import { localAwsOptions } from './local-aws-options.ts';

const threshold = wireLimits(DEFAULT_MAX_MESSAGE_BYTES).claimCheckThreshold;
/** The largest Uint8Array that still travels inline in the queue message. */
const inlineMax = threshold - RAW_HEADER_BYTES;

const QUEUE_PREFIX = 'lmtest';
const jobIds: string[] = [];

/** A job over the local SQS and S3, remembered for the leftover check at the end of the file. */
function runOverAws<I, R>(program: Program<I, R>, options: Omit<RunLocalOptions<I>, 'transport'>): Promise<RunResult<R>> {
  return recordJobId(jobIds, runLocal(program, { ...options, transport: 'aws', aws: options.aws ?? localAwsOptions({ queuePrefix: QUEUE_PREFIX }) } as RunLocalOptions<I>));
}

function s3(): S3Client {
  return localS3Client(inject('localAws').s3Endpoint);
}

describe('the AWS transport moves bytes exactly', () => {
  const cases = [
    { name: '0 B', length: 0, viaS3: false },
    { name: '1 B', length: 1, viaS3: false },
    { name: 'just under the claim-check threshold', length: inlineMax - 1, viaS3: false },
    { name: 'at the claim-check threshold', length: inlineMax, viaS3: false },
    { name: 'just over the claim-check threshold', length: inlineMax + 1, viaS3: true },
    { name: '10 MiB', length: 10 * 2 ** 20, viaS3: true },
    { name: '200 MiB', length: 200 * 2 ** 20, viaS3: true },
  ];
  it.each(cases)('round-trips random binary of $name ($length B, through S3: $viaS3)', async ({ length, viaS3 }) => {
    const client = s3();
    const program = defineProgram(async (comm, n: number) => {
      if (comm.rank === 0) {
        const payload = randomBytes(n);
        await comm.send(payload, 1);
        const digest = await comm.recv<string>(1);
        return { sent: payload.toString('base64').slice(0, 64), digest, expected: (await import('node:crypto')).createHash('sha256').update(payload).digest('hex') };
      }
      const got = await comm.recv<Buffer>(0);
      const { createHash } = await import('node:crypto');
      await comm.send(createHash('sha256').update(got).digest('hex'), 0);
      // Which path did it take? The claim-check objects are under the job's prefix until the job ends.
      const listed = await client.send(new ListObjectsV2Command({ Bucket: inject('localAws').bucket, Prefix: `jobs/${comm.jobId}/frames/` }));
      return { type: got.constructor.name, length: got.length, objects: listed.KeyCount ?? 0 };
    });
    const r = await runOverAws(program, { size: 2, input: length, timeoutMs: 120_000 });
    client.destroy();
    const [sender, receiver] = r.results as [{ digest: string; expected: string }, { type: string; length: number; objects: number }];
    expect(sender.digest).toBe(sender.expected);
    expect(receiver).toEqual({ type: 'Buffer', length, objects: viaS3 ? 1 : 0 });
  }, 180_000);
});

describe('large reductions through S3', () => {
  it.each(['tree', 'split'])('reduce and allreduce of vectors ≥ 64 KiB are exact with LAMBDA_MPI_VECTOR_REDUCTION=%s', async (algorithm) => {
    const program = defineProgram(async (comm) => {
      const n = 40_000; // 320 KB: the halves and quarters cross the claim-check threshold
      const v = Float64Array.from({ length: n }, (_, i) => (i % 977) * (comm.rank + 1));
      const factor = (comm.size * (comm.size + 1)) / 2;
      const reduced = await comm.reduce(v, SUM, comm.size - 1);
      const all = await comm.allreduce(v, SUM);
      const bad = (x: Float64Array | undefined) => !x || x.some((value, i) => value !== (i % 977) * factor);
      return { all: bad(all), reduced: comm.rank === comm.size - 1 ? bad(reduced) : false };
    });
    const saved = process.env.LAMBDA_MPI_VECTOR_REDUCTION;
    process.env.LAMBDA_MPI_VECTOR_REDUCTION = algorithm;
    try {
      const r = await runOverAws(program, { size: 5 });
      expect(r.results).toEqual(Array.from({ length: 5 }, () => ({ all: false, reduced: false })));
    } finally {
      if (saved === undefined) delete process.env.LAMBDA_MPI_VECTOR_REDUCTION;
      else process.env.LAMBDA_MPI_VECTOR_REDUCTION = saved;
    }
  }, 60_000);
});

describe('SQS redelivery', () => {
  it('deletes every handled message: only the frames of messages deliberately left undeleted come back, each dropped once', async () => {
    // Ping-pong for longer than the 1 s visibility timeout, so any undeleted message returns.
    const program = defineProgram(async (comm, runMs: number) => {
      const until = Date.now() + runMs;
      let rounds = 0;
      while (await comm.bcast(comm.rank === 0 ? Date.now() < until : undefined, 0)) {
        if (comm.rank === 0) {
          await comm.send(rounds, 1);
          if ((await comm.recv(1)) !== rounds) throw new Error('out of order');
        } else {
          await comm.send(await comm.recv<number>(0), 0);
        }
        rounds++;
      }
      return rounds;
    });
    let messagesLeft = 0;
    let framesLeft = 0;
    const r = await runOverAws(program, {
      size: 2,
      input: 2_600,
      aws: localAwsOptions({
        queuePrefix: QUEUE_PREFIX,
        visibilityTimeoutSeconds: 1,
        receiveWaitSeconds: 1,
        skipDelete: (message) => {
          if (messagesLeft === 6) return false;
          messagesLeft++;
          framesLeft += peekFrames(message.Body!).length;
          return true;
        },
      }),
      timeoutMs: 10_000,
    });
    expect(r.results[0]).toBe(r.results[1]);
    expect(messagesLeft).toBe(6);
    // A message the receiver failed to delete would come back too, and count here.
    expect(r.link.duplicatesDropped).toBe(framesLeft);
  }, 30_000);
});

describe('bad AWS configuration fails the job at start, naming what is missing', () => {
  const ok = defineProgram(async () => 'ran');

  it('an unknown bucket', async () => {
    const error = await rejection(runOverAws(ok, { size: 2, aws: localAwsOptions({ queuePrefix: QUEUE_PREFIX, bucket: 'no-such-bucket-here' }) }));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.setting).toBe('bucket');
    expect(error.message).toMatch(/bucket "no-such-bucket-here" does not exist/);
  });

  it('an unreachable endpoint', async () => {
    const error = await rejection(runOverAws(ok, {
      size: 2,
      aws: localAwsOptions({ queuePrefix: QUEUE_PREFIX, endpoints: { s3: 'http://127.0.0.1:9', sqs: 'http://127.0.0.1:9' } }),
    }));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.setting).toBe('endpoints.s3');
    expect(error.message).toMatch(/http:\/\/127\.0\.0\.1:9 cannot be reached \(ECONNREFUSED/);
  });

  it('missing credentials', async () => {
    const saved = { ...process.env };
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete process.env[name];
    Object.assign(process.env, {
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
      AWS_CONFIG_FILE: '/nonexistent/config',
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    try {
      const { credentials: _none, ...withoutCredentials } = localAwsOptions({ queuePrefix: QUEUE_PREFIX });
      const error = await rejection(runOverAws(ok, { size: 2, aws: withoutCredentials }));
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(error.setting).toBe('credentials');
      expect(error.message).toMatch(/no AWS credentials were found/);
    } finally {
      process.env = saved;
    }
  });

  it.each([
    [{ bucket: 'Bad_Bucket' }, 'bucket', /must be an S3 bucket name/],
    [{ queuePrefix: 'has space' }, 'queuePrefix', /letters, digits/],
    [{ maxMessageBytes: 10 }, 'maxMessageBytes', /16384\.\.1048576/],
    [{ endpoints: { sqs: 'not a url' } }, 'endpoints.sqs', /must be a URL/],
  ])('an invalid setting %j', async (override, setting, message) => {
    const error = await rejection(runOverAws(ok, { size: 2, aws: localAwsOptions({ queuePrefix: QUEUE_PREFIX, ...override } as any) }));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.setting).toBe(setting);
    expect(error.message).toMatch(message);
  });
});

itLeavesNothingBehind(QUEUE_PREFIX, jobIds);
