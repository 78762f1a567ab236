/**
 * The local AWS stack (tools/local-aws/servers.ts): s3rver@3.7.1 + local-aws-sqs@2.0.2 driven through
 * the real SDK v3 clients (client-s3 / client-sqs 3.1175).
 *
 * Measured on loopback (Node 20.20, this machine, 2026-11-25):
 *
 * ReceiveMessage long polls on local-aws-sqs (it scans the queue every 10 ms and returns only when
 * it has MaxNumberOfMessages messages or the wait is over; the wait is WaitTimeSeconds*1000 + 40 ms):
 *   1 message present, Max=10, Wait=1  -> 1 message after ~1045 ms (holds the whole wait)
 *   1 message present, Max=5,  Wait=1  -> 1 message after ~1045 ms
 *   1 message present, Max=10, Wait=5  -> 1 message after ~5043 ms
 *   1 message present, Max=1,  Wait=1  -> 1 message after ~12 ms (returns at once)
 *   1 message present, Max=10, Wait=0  -> 1 message after ~43 ms (Wait=0 still costs 40 ms)
 *   1 message present, Max=1,  Wait=0  -> ~12 ms
 *   empty queue, Wait=1 -> ~1043 ms; empty queue, Wait=0 -> ~43 ms (not immediate)
 *   message sent 300 ms into a Max=1, Wait=5 poll -> delivered at ~314 ms
 *   10 messages present, Max=10, Wait=1 -> all 10 at once
 * Real SQS returns as soon as any message is there, so: receive with Max=1 (or
 * WaitTimeSeconds=0 + Max=10 at 40 ms a call) on the emulator; never assume a held poll means
 * "queue empty".
 *
 * Round trips (medians): SQS send+receive+delete, Max=1, Wait=1: 15 ms (50 runs; 14-21);
 * Max=1, Wait=0: 15 ms; Max=10, Wait=0: 44 ms; Max=10, Wait=1: 1046 ms.
 * S3 put+get of 8 MiB: 91 ms (10 runs; 68-102 ms); of 1 KiB: 7 ms.
 *
 * local-aws-sqs limits and features:
 * - Message size: default (and maximum) MaximumMessageSize is 1 MiB (1048576, like AWS since
 *   2025); 256 KiB and exactly 1 MiB bodies are accepted, 1 MiB + 1 is rejected with
 *   InvalidParameterValue. The size is counted in UTF-16 code units, not UTF-8 bytes: a body of
 *   700 Ki 'é' (1.4 MiB of UTF-8) is accepted, which real SQS would refuse.
 * - MessageAttributes (String/Number/Binary) round-trip, with MD5OfMessageAttributes.
 * - FIFO queues work (order, MessageGroupId, deduplication, SequenceNumber).
 * - tags on CreateQueue are stored (ListQueueTags returns them).
 * - ReceiveRequestAttemptId is accepted and ignored (a retry with the same id returns nothing
 *   new, where real FIFO SQS would return the same batch again).
 * - Only the deprecated ReceiveMessage `AttributeNames` is honoured; `MessageSystemAttributeNames`
 *   is ignored (no ApproximateReceiveCount etc.). Pass AttributeNames to read system attributes.
 * - ChangeMessageVisibility increments ApproximateReceiveCount (real SQS does not).
 * - GetQueueAttributes ApproximateNumberOfMessages counts in-flight (received, undeleted) messages
 *   as well; real SQS counts only messages available for retrieval.
 * - No credentials and no signature are checked (S3RVER/S3RVER works; so does anything else).
 * - DeleteQueue: the queue answers QueueDoesNotExist at once, but stays in ListQueues and its name
 *   cannot be re-created (QueueDeletedRecently) for 60 s, as on AWS. Use unique queue names.
 *
 * s3rver traps (proved below): without requestChecksumCalculation/responseChecksumValidation =
 * 'WHEN_REQUIRED' a Buffer body survives but a streamed body is stored with its aws-chunked
 * framing ("4b000\r\n…", +45 bytes on 300 KiB). Wrong credentials are refused
 * (InvalidAccessKeyId). An IP endpoint (127.0.0.1) gets path-style even without forcePathStyle.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { Readable } from 'node:stream';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ListQueuesCommand,
  ListQueueTagsCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { localS3Client, localSqsClient } from '../../tools/local-aws/clients.ts';
import { startLocalAws, type LocalAws } from '../../tools/local-aws/servers.ts';

let aws: LocalAws;
let s3: S3Client;
let sqs: SQSClient;
const run = `t${Date.now().toString(36)}`;

function s3Client(a: LocalAws, extra: Partial<ConstructorParameters<typeof S3Client>[0]> = {}): S3Client {
  return localS3Client(a.s3Endpoint, extra);
}

beforeAll(async () => {
  aws = await startLocalAws();
  s3 = s3Client(aws);
  sqs = localSqsClient(aws.sqsEndpoint);
});

afterAll(async () => {
  s3?.destroy();
  sqs?.destroy();
  await aws?.stop();
});

async function getBytes(client: S3Client, Bucket: string, Key: string): Promise<Buffer> {
  const res = await client.send(new GetObjectCommand({ Bucket, Key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

async function createQueue(name: string, Attributes?: Record<string, string>): Promise<string> {
  const res = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes }));
  return res.QueueUrl!;
}

async function timedReceive(QueueUrl: string, MaxNumberOfMessages: number, WaitTimeSeconds: number) {
  const t0 = performance.now();
  const res = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages, WaitTimeSeconds }));
  const ms = performance.now() - t0;
  for (const m of res.Messages ?? []) await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle! }));
  return { n: res.Messages?.length ?? 0, ms };
}

describe('startLocalAws', () => {
  it('binds both servers to 127.0.0.1 on free ports and exports the SDK environment', () => {
    expect(aws.s3Endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(aws.sqsEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(aws.s3Endpoint).not.toBe(aws.sqsEndpoint);
    expect(aws.region).toBe('us-east-1');
    expect(aws.credentials).toEqual({ accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
    expect(existsSync(aws.dataDir)).toBe(true);
    expect(aws.env()).toMatchObject({
      AWS_ENDPOINT_URL_S3: aws.s3Endpoint,
      AWS_ENDPOINT_URL_SQS: aws.sqsEndpoint,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    });
  });

  it('rejects (instead of crashing) when a port is taken, and a stopped stack refuses connections', async () => {
    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(startLocalAws({ sqsPort: port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      blocker.close();
    }

    const other = await startLocalAws();
    const client = s3Client(other);
    await client.send(new CreateBucketCommand({ Bucket: 'stop-check' })); // leaves a keep-alive socket open
    await other.stop();
    await other.stop(); // idempotent
    client.destroy();
    expect(existsSync(other.dataDir)).toBe(false);
    await expect(fetch(other.sqsEndpoint, { method: 'POST' })).rejects.toThrow();
    await expect(fetch(other.s3Endpoint)).rejects.toThrow();
  });
});

describe('S3 on s3rver', () => {
  const Bucket = `${run}-bucket`;

  it('creates a bucket', async () => {
    await s3.send(new CreateBucketCommand({ Bucket }));
  });

  it.each([
    ['0 B', 0],
    ['1 B', 1],
    ['300 KiB', 300 * 1024],
    ['20 MiB', 20 * 1024 * 1024],
  ])('round-trips %s of random bytes exactly', { timeout: 60_000 }, async (_label, size) => {
    const data = randomBytes(size);
    const Key = `obj/${size}`;
    await s3.send(new PutObjectCommand({ Bucket, Key, Body: data }));
    const got = await getBytes(s3, Bucket, Key);
    expect(got.length).toBe(size);
    expect(got.equals(data)).toBe(true);
  });

  it('round-trips a streamed upload (Readable body + ContentLength)', { timeout: 30_000 }, async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const chunks = [];
    for (let off = 0; off < data.length; off += 64 * 1024) chunks.push(data.subarray(off, off + 64 * 1024));
    await s3.send(
      new PutObjectCommand({ Bucket, Key: 'obj/streamed', Body: Readable.from(chunks), ContentLength: data.length }),
    );
    const got = await getBytes(s3, Bucket, 'obj/streamed');
    expect(got.length).toBe(data.length);
    expect(got.equals(data)).toBe(true);
  });

  it('lists and deletes objects', async () => {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'obj/' }));
    const keys = (listed.Contents ?? []).map((o) => o.Key!).sort();
    expect(keys).toEqual(['obj/0', 'obj/1', `obj/${20 * 1024 * 1024}`, `obj/${300 * 1024}`, 'obj/streamed'].sort());
    const sizes = Object.fromEntries((listed.Contents ?? []).map((o) => [o.Key!, o.Size]));
    expect(sizes['obj/streamed']).toBe(3 * 1024 * 1024 + 17);

    const del = await s3.send(
      new DeleteObjectsCommand({ Bucket, Delete: { Objects: keys.map((Key) => ({ Key })) } }),
    );
    expect((del.Deleted ?? []).length).toBe(keys.length);
    expect(del.Errors ?? []).toEqual([]);
    const after = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'obj/' }));
    expect(after.KeyCount ?? 0).toBe(0);
  });

  it('trap: with the default checksum settings a streamed upload is stored with aws-chunked framing', async () => {
    const naive = new S3Client({
      endpoint: aws.s3Endpoint,
      region: aws.region,
      credentials: aws.credentials,
      forcePathStyle: true,
    });
    try {
      const data = randomBytes(300 * 1024);
      await naive.send(new PutObjectCommand({ Bucket, Key: 'trap', Body: Readable.from([data]), ContentLength: data.length }));
      const got = await getBytes(s3, Bucket, 'trap');
      expect(got.equals(data)).toBe(false);
      expect(got.subarray(0, 7).toString('latin1')).toBe(`${data.length.toString(16)}\r\n`);
    } finally {
      naive.destroy();
    }
  });

  it('refuses credentials other than S3RVER/S3RVER', async () => {
    const wrong = s3Client(aws, { credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'nope' } });
    try {
      await expect(wrong.send(new ListObjectsV2Command({ Bucket }))).rejects.toMatchObject({ name: 'InvalidAccessKeyId' });
    } finally {
      wrong.destroy();
    }
  });
});

describe('SQS on local-aws-sqs', () => {
  it('create, SendMessageBatch 10, long-poll receive, DeleteMessageBatch, attributes, list, delete', { timeout: 20_000 }, async () => {
    const name = `${run}-main`;
    const QueueUrl = await createQueue(name);
    expect(QueueUrl).toBe(`${aws.sqsEndpoint}/123456789012/${name}`);

    const bodies = Array.from({ length: 10 }, (_, i) => `msg-${i}-${randomBytes(8).toString('hex')}`);
    const sent = await sqs.send(
      new SendMessageBatchCommand({ QueueUrl, Entries: bodies.map((MessageBody, i) => ({ Id: `e${i}`, MessageBody })) }),
    );
    expect(sent.Successful?.length).toBe(10);
    expect(sent.Failed ?? []).toEqual([]);

    const got: Message[] = [];
    const t0 = performance.now();
    while (got.length < 10) {
      const res = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      got.push(...(res.Messages ?? []));
      if (performance.now() - t0 > 10_000) break;
    }
    expect(got.map((m) => m.Body).sort()).toEqual([...bodies].sort());
    expect(performance.now() - t0).toBeLessThan(500); // 10 present, Max=10: no hold

    let attrs = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }))).Attributes!;
    // Emulator quirk: ApproximateNumberOfMessages counts in-flight messages too (real SQS: '0').
    expect(attrs.ApproximateNumberOfMessages).toBe('10');
    expect(attrs.ApproximateNumberOfMessagesNotVisible).toBe('10');
    expect(attrs.QueueArn).toBe(`arn:aws:sqs:us-east-1:123456789012:${name}`);

    const del = await sqs.send(
      new DeleteMessageBatchCommand({ QueueUrl, Entries: got.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle! })) }),
    );
    expect(del.Successful?.length).toBe(10);
    expect(del.Failed ?? []).toEqual([]);
    attrs = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }))).Attributes!;
    expect(attrs.ApproximateNumberOfMessages).toBe('0');
    expect(attrs.ApproximateNumberOfMessagesNotVisible).toBe('0');

    const other = await createQueue(`${run}-other`);
    await createQueue(`x${run}-unrelated`);
    const listed = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: `${run}-` }));
    expect([...(listed.QueueUrls ?? [])].sort()).toEqual([QueueUrl, other].sort());

    await sqs.send(new DeleteQueueCommand({ QueueUrl }));
    await expect(sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }))).rejects.toMatchObject({
      name: 'QueueDoesNotExist',
    });
    // Like AWS: the name is blocked for 60 s after DeleteQueue.
    await expect(sqs.send(new CreateQueueCommand({ QueueName: name }))).rejects.toMatchObject({
      name: 'QueueDeletedRecently',
    });
  });

  it('a received but undeleted message reappears after its VisibilityTimeout', { timeout: 10_000 }, async () => {
    const QueueUrl = await createQueue(`${run}-vis`, { VisibilityTimeout: '1' });
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'come back' }));

    const first = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 1 }));
    expect(first.Messages?.[0]?.Body).toBe('come back');
    const t0 = performance.now();

    const hidden = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 0 }));
    expect(hidden.Messages ?? []).toEqual([]);

    const again = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 3, AttributeNames: ['All'] }),
    );
    const back = performance.now() - t0;
    expect(again.Messages?.[0]?.Body).toBe('come back');
    expect(again.Messages?.[0]?.MessageId).toBe(first.Messages![0].MessageId);
    expect(again.Messages?.[0]?.ReceiptHandle).not.toBe(first.Messages![0].ReceiptHandle);
    expect(again.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
    expect(back).toBeGreaterThan(800);
    expect(back).toBeLessThan(2500);
    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: again.Messages![0].ReceiptHandle! }));
  });

  it('emulator quirk: a long poll with MaxNumberOfMessages>1 holds until the wait ends', { timeout: 20_000 }, async () => {
    const QueueUrl = await createQueue(`${run}-poll`);
    const one = async () => sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' }));

    await one();
    const max10 = await timedReceive(QueueUrl, 10, 1);
    await one();
    const max1 = await timedReceive(QueueUrl, 1, 1);
    await one();
    const max10wait0 = await timedReceive(QueueUrl, 10, 0);
    const emptyWait0 = await timedReceive(QueueUrl, 1, 0);
    console.log(
      `local-aws-sqs receive with 1 message present: Max=10 Wait=1 -> ${max10.n} msg in ${max10.ms.toFixed(0)} ms; ` +
        `Max=1 Wait=1 -> ${max1.n} in ${max1.ms.toFixed(0)} ms; Max=10 Wait=0 -> ${max10wait0.n} in ${max10wait0.ms.toFixed(0)} ms; ` +
        `empty, Wait=0 -> ${emptyWait0.ms.toFixed(0)} ms`,
    );
    expect(max10.n).toBe(1);
    expect(max10.ms).toBeGreaterThan(950); // held for the whole WaitTimeSeconds (real SQS: returns at once)
    expect(max1.n).toBe(1);
    expect(max1.ms).toBeLessThan(300);
    expect(max10wait0.n).toBe(1);
    expect(max10wait0.ms).toBeLessThan(300);
    expect(emptyWait0.n).toBe(0);

    // A message that arrives during a Max=1 poll is delivered promptly (10 ms scan).
    const t0 = performance.now();
    const pending = sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 5 }));
    setTimeout(() => void one(), 200);
    const res = await pending;
    expect(res.Messages?.length).toBe(1);
    expect(performance.now() - t0).toBeLessThan(1500);
  });

  it('message size: 256 KiB and 1 MiB accepted, 1 MiB + 1 rejected', { timeout: 20_000 }, async () => {
    const QueueUrl = await createQueue(`${run}-size`);
    for (const n of [256 * 1024, 1024 * 1024]) {
      const body = randomBytes(Math.ceil(n / 2)).toString('hex').slice(0, n);
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body }));
      const res = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 1 }));
      expect(res.Messages?.[0]?.Body).toBe(body);
      await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: res.Messages![0].ReceiptHandle! }));
    }
    await expect(
      sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'a'.repeat(1024 * 1024 + 1) })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('MessageAttributes round-trip; only AttributeNames (not MessageSystemAttributeNames) yields system attributes', async () => {
    const QueueUrl = await createQueue(`${run}-attrs`);
    await sqs.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: 'with attributes',
        MessageAttributes: {
          src: { DataType: 'Number', StringValue: '3' },
          tag: { DataType: 'String', StringValue: 'p2p' },
          bin: { DataType: 'Binary', BinaryValue: new Uint8Array([0, 1, 255]) },
        },
      }),
    );
    const r1 = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl,
        MaxNumberOfMessages: 1,
        WaitTimeSeconds: 1,
        VisibilityTimeout: 0,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const m1 = r1.Messages![0];
    expect(m1.MessageAttributes?.src).toEqual({ DataType: 'Number', StringValue: '3' });
    expect(m1.MessageAttributes?.tag).toEqual({ DataType: 'String', StringValue: 'p2p' });
    expect(Buffer.from(m1.MessageAttributes!.bin.BinaryValue!)).toEqual(Buffer.from([0, 1, 255]));
    expect(m1.MD5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
    expect(m1.Attributes).toBeUndefined(); // emulator ignores MessageSystemAttributeNames

    const r2 = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 1, AttributeNames: ['All'] }),
    );
    expect(r2.Messages?.[0]?.MessageId).toBe(m1.MessageId);
    expect(r2.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
    expect(r2.Messages?.[0]?.Attributes?.SentTimestamp).toMatch(/^\d+$/);

    // Emulator quirk: ChangeMessageVisibility counts as a receive.
    await sqs.send(
      new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: r2.Messages![0].ReceiptHandle!, VisibilityTimeout: 0 }),
    );
    const r3 = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 1, AttributeNames: ['All'] }),
    );
    expect(r3.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('4');
  });

  it('FIFO queues: order, deduplication, sequence numbers; ReceiveRequestAttemptId is ignored', { timeout: 10_000 }, async () => {
    const QueueUrl = await createQueue(`${run}-order.fifo`, { FifoQueue: 'true' });
    for (let i = 0; i < 3; i++) {
      await sqs.send(
        new SendMessageCommand({ QueueUrl, MessageBody: `f${i}`, MessageGroupId: 'g', MessageDeduplicationId: `d${i}` }),
      );
    }
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'dup', MessageGroupId: 'g', MessageDeduplicationId: 'd0' }));
    // 3 < Max=10, so WaitTimeSeconds=0 (a 40 ms poll) avoids the 1 s hold.
    const r1 = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        ReceiveRequestAttemptId: 'attempt-1',
        AttributeNames: ['All'],
      }),
    );
    expect(r1.Messages?.map((m) => m.Body)).toEqual(['f0', 'f1', 'f2']);
    const seq = r1.Messages!.map((m) => BigInt(m.Attributes!.SequenceNumber!));
    expect(seq[0] < seq[1] && seq[1] < seq[2]).toBe(true);
    // Real SQS would return the same batch again for a retry with the same attempt id.
    const r2 = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, ReceiveRequestAttemptId: 'attempt-1' }),
    );
    expect(r2.Messages ?? []).toEqual([]);
  });

  it('stores tags given to CreateQueue', async () => {
    const res = await sqs.send(new CreateQueueCommand({ QueueName: `${run}-tagged`, tags: { job: 'j1', rank: '0' } }));
    const tags = await sqs.send(new ListQueueTagsCommand({ QueueUrl: res.QueueUrl! }));
    expect(tags.Tags).toEqual({ job: 'j1', rank: '0' });
  });

  it('checks no credentials or region', async () => {
    const anyone = new SQSClient({
      endpoint: aws.sqsEndpoint,
      region: 'eu-west-3',
      credentials: { accessKeyId: 'whoever', secretAccessKey: 'whatever' },
    });
    try {
      const res = await anyone.send(new ListQueuesCommand({ QueueNamePrefix: `${run}-tagged` }));
      expect(res.QueueUrls?.length).toBe(1);
    } finally {
      anyone.destroy();
    }
  });
});

describe('tools/local-aws/serve-emulators.ts', () => {
  it('prints endpoints and export lines, serves, and exits by itself on SIGINT even with a long poll open', { timeout: 30_000 }, async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'tools/local-aws/serve-emulators.ts'], {
      cwd: new URL('../..', import.meta.url),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    try {
      const t0 = Date.now();
      while (!out.includes('# running') && Date.now() - t0 < 20_000) {
        if (child.exitCode !== null) throw new Error(`CLI died: ${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const env = Object.fromEntries([...out.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
      expect(Object.keys(env)).toEqual(
        expect.arrayContaining(['AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL_SQS', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION']),
      );
      expect(out).toContain(`# SQS endpoint: ${env.AWS_ENDPOINT_URL_SQS}`);

      const client = new SQSClient({
        endpoint: env.AWS_ENDPOINT_URL_SQS,
        region: env.AWS_REGION,
        credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
        maxAttempts: 1,
      });
      const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: 'cli' }));
      // A 20 s long poll that stop() must cut short.
      const poll = client
        .send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 20 }))
        .then(() => 'answered', () => 'cut');
      await new Promise((r) => setTimeout(r, 200));

      const t1 = Date.now();
      child.kill('SIGINT');
      const [code, signal] = await exited;
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(Date.now() - t1).toBeLessThan(4000);
      expect(err).toContain('# stopped');
      expect(await poll).toBe('cut');
      client.destroy();
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
