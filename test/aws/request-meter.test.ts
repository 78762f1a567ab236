import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveAwsSettings } from '../../src/config.ts';
import { defineProgram, runLocal } from '../../src/index.ts';
import { newJobId } from '../../src/runtime/job-id.ts';
import { createAwsClients } from '../../src/transport/aws/clients.ts';
import { localAwsOptions } from './local-aws-options.ts';
import { itLeavesNothingBehind, recordJobId } from './leftovers.ts';

/** The request meter on the AWS clients, against the real local S3 and SQS servers. */
const options = localAwsOptions({ queuePrefix: 'lmmeter' });
const clients = createAwsClients(resolveAwsSettings(options));
const jobIds: string[] = [];
afterAll(() => clients.destroy());

describe('the request meter', () => {
  it('counts every S3 request by operation with its bytes, a GET of a missing key included', async () => {
    const key = `jobs/${newJobId()}/meter`;
    jobIds.push(key.split('/')[1]!);
    const body = Buffer.alloc(100_000, 7);
    await clients.s3.send(new PutObjectCommand({ Bucket: options.bucket, Key: key, Body: body }));
    const got = await clients.s3.send(new GetObjectCommand({ Bucket: options.bucket, Key: key }));
    expect((await got.Body!.transformToByteArray()).byteLength).toBe(100_000);
    await expect(clients.s3.send(new GetObjectCommand({ Bucket: options.bucket, Key: `${key}-missing` }))).rejects.toThrow();
    const counts = clients.meter.snapshot().s3!;
    expect(counts.PutObject).toEqual({ requests: 1, bytesSent: 100_000, bytesReceived: 0 });
    expect(counts.GetObject!.requests).toBe(2);
    expect(counts.GetObject!.bytesReceived).toBeGreaterThanOrEqual(100_000);
    await clients.s3.send(new DeleteObjectCommand({ Bucket: options.bucket, Key: key }));
    expect(clients.meter.snapshot().s3!.DeleteObject!.requests).toBe(1);
  });

  it('counts an SQS request by its 64 KiB chunks: a 70,000-byte message is two', async () => {
    const before = clients.meter.snapshot().sqs?.SendMessage;
    const { QueueUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: `lmmeter-${newJobId()}` }));
    try {
      await clients.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x'.repeat(70_000) }));
      await clients.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'small' }));
    } finally {
      await clients.sqs.send(new DeleteQueueCommand({ QueueUrl }));
    }
    const after = clients.meter.snapshot().sqs!;
    expect(before).toBeUndefined();
    expect(after.SendMessage).toMatchObject({ requests: 2, billedChunks: 3 });
    expect(after.CreateQueue).toMatchObject({ requests: 1, billedChunks: 1 });
  });

  it("gives runLocal's result the job's requests over SQS and S3", async () => {
    const program = defineProgram(async (comm) => comm.allgather(comm.rank));
    const r = await recordJobId(jobIds, runLocal(program, { size: 3, transport: 'aws', aws: options }));
    expect(r.requests?.sqs?.CreateQueue?.requests).toBe(3);
    expect(r.requests?.sqs?.DeleteQueue?.requests).toBe(3);
    expect(r.requests?.sqs?.SendMessageBatch?.requests).toBeGreaterThan(0);
    expect(r.requests?.s3?.HeadBucket?.requests).toBe(1);
  });

  it("gives the result of a job in threads the requests of every rank's own clients and of the job's queues", async () => {
    const r = await recordJobId(jobIds, runLocal('hello', { size: 3, threads: true, transport: 'aws', aws: options }));
    expect(r.requests?.sqs?.CreateQueue?.requests).toBe(3);
    expect(r.requests?.sqs?.DeleteQueue?.requests).toBe(3);
    // Only the ranks' threads send and receive: their reports and check-ins travel over SQS.
    expect(r.requests?.sqs?.SendMessageBatch?.requests).toBeGreaterThan(0);
    expect(r.requests?.sqs?.ReceiveMessage?.requests).toBeGreaterThan(0);
  });
});

itLeavesNothingBehind('lmmeter', jobIds);
