/**
 * The local AWS stack (tools/local-aws): only the behaviour lambda-mpi relies on, each test
 * saying where. Everything else the emulators do is exercised by the jobs of the other AWS tests.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { PassThrough, Readable } from 'node:stream';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand,
  PutObjectCommand, S3Client, UploadPartCommand,
} from '@aws-sdk/client-s3';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { resolveAwsSettings } from '../../src/config.ts';
import { claimRank } from '../../src/job-store/rank-claim.ts';
import { createAwsClients, type AwsClients } from '../../src/transport/aws/clients.ts';
import { startLocalAws, type LocalAws } from '../../tools/local-aws/servers.ts';

const Bucket = 'emulator-checks';
let aws: LocalAws;
/** The clients the AWS transport builds, with its settings. */
let clients: AwsClients;

beforeAll(async () => {
  aws = await startLocalAws();
  clients = createAwsClients(resolveAwsSettings({
    bucket: Bucket,
    region: aws.region,
    credentials: { ...aws.credentials }, // a copy: the SDK marks the object it is given
    endpoints: { s3: aws.s3Endpoint, sqs: aws.sqsEndpoint },
  }));
  await clients.s3.send(new CreateBucketCommand({ Bucket }));
});

afterAll(async () => {
  clients?.destroy();
  await aws?.stop();
});

async function getBytes(client: S3Client, Key: string): Promise<Buffer> {
  const res = await client.send(new GetObjectCommand({ Bucket, Key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

async function createQueue(name: string): Promise<string> {
  return (await clients.sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!;
}

describe('startLocalAws (the test run\'s global setup and `npm run local-aws` start the stack with it)', () => {
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
    const client = new S3Client({ endpoint: other.s3Endpoint, region: other.region, credentials: other.credentials, forcePathStyle: true });
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
  // Claim-checked message bodies (claim-check.ts) must come back byte for byte.
  it.each([
    ['0 B', 0],
    ['1 B', 1],
    ['300 KiB', 300 * 1024],
    ['8 MiB', 8 * 1024 * 1024],
  ])('round-trips %s of random bytes exactly through the transport\'s S3 client', async (_label, size) => {
    const data = randomBytes(size);
    const Key = `obj/${size}`;
    await clients.s3.send(new PutObjectCommand({ Bucket, Key, Body: data }));
    expect((await getBytes(clients.s3, Key)).equals(data)).toBe(true);
  });

  // Why clients.ts and env() ask for checksums only WHEN_REQUIRED.
  it('stores a streamed upload intact with checksums WHEN_REQUIRED, and with its aws-chunked framing with the SDK default', async () => {
    const data = randomBytes(300 * 1024);
    const upload = (client: S3Client, Key: string) =>
      client.send(new PutObjectCommand({ Bucket, Key, Body: Readable.from([data]), ContentLength: data.length }));
    const withDefaults = new S3Client({ endpoint: aws.s3Endpoint, region: aws.region, credentials: aws.credentials, forcePathStyle: true });
    try {
      await upload(clients.s3, 'streamed/when-required');
      await upload(withDefaults, 'streamed/default');
    } finally {
      withDefaults.destroy();
    }
    expect((await getBytes(clients.s3, 'streamed/when-required')).equals(data)).toBe(true);
    const framed = await getBytes(clients.s3, 'streamed/default');
    expect(framed.subarray(0, 7).toString('latin1')).toBe(`${data.length.toString(16)}\r\n`);
  });

  // The HTTP function polls runs/{jobId}.json while rank 0 rewrites it from running to succeeded.
  it('replaces an object atomically: a GET racing overwrites sees one whole version, never a torn one', async () => {
    const versions = [Buffer.alloc(200, 'a'), Buffer.alloc(300 * 1024, 'b'), Buffer.alloc(1000, 'c'), Buffer.alloc(64 * 1024, 'd')];
    const Key = 'records/racing.json';
    await clients.s3.send(new PutObjectCommand({ Bucket, Key, Body: versions[0] }));
    const reads: Promise<Buffer>[] = [];
    for (let round = 0; round < 12; round++) {
      const body = versions[(round % (versions.length - 1)) + 1]!;
      const writing = clients.s3.send(new PutObjectCommand({ Bucket, Key, Body: body }));
      for (let i = 0; i < 4; i++) reads.push(getBytes(clients.s3, Key));
      await writing;
    }
    const seen = await Promise.all(reads);
    const torn = seen.filter((body) => !versions.some((version) => version.equals(body)));
    expect(torn.map((body) => body.length)).toEqual([]);
  });

  // File.open HEADs its object, and readPartition's ranks GET their shares at once: on S3 a HEAD
  // reads no body, and a body streams. /proc/self/io's rchar counts every byte this process (the
  // servers are in it) reads from a file or a socket.
  it('reads no body for a HEAD, and streams a GET\'s body instead of reading the object whole before answering', async () => {
    const size = 32 * 1024 * 1024;
    const Key = 'large/streamed.bin';
    await clients.s3.send(new PutObjectCommand({ Bucket, Key, Body: Buffer.alloc(size, 'z') }));
    const bytesReadSoFar = () => Number(/^rchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'))![1]);
    const before = bytesReadSoFar();
    const head = await clients.s3.send(new HeadObjectCommand({ Bucket, Key }));
    expect(head.ContentLength).toBe(size);
    const got = await clients.s3.send(new GetObjectCommand({ Bucket, Key }));
    // The headers are here; of the body, at most what the stream and the socket buffer ahead.
    expect(bytesReadSoFar() - before).toBeLessThan(size / 4);
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.alloc(size, 'z'))).toBe(true);
  });

  // File.readAt(0, 1) asks for bytes=0-0.
  it('answers a ranged GET of bytes=0-0 with the first byte, as S3 does', async () => {
    const Key = 'ranges/first-byte.txt';
    await clients.s3.send(new PutObjectCommand({ Bucket, Key, Body: 'abc' }));
    const ranged = async (Range: string) => {
      const got = await clients.s3.send(new GetObjectCommand({ Bucket, Key, Range }));
      return [got.ContentRange, Buffer.from(await got.Body!.transformToByteArray()).toString()];
    };
    expect(await ranged('bytes=0-0')).toEqual(['bytes 0-0/3', 'a']);
    expect(await ranged('bytes=1-1')).toEqual(['bytes 1-1/3', 'b']);
  });

  // File's close completes one multipart upload of every rank's parts (src/file/collective-write.ts).
  it('completes a multipart upload into its parts\' bytes in order, with S3\'s multipart ETag, and drops the parts', async () => {
    const Key = 'multipart/joined.bin';
    const parts = [randomBytes(5 * 1024 * 1024 + 3), randomBytes(5 * 1024 * 1024), randomBytes(1000)];
    const { UploadId } = await clients.s3.send(new CreateMultipartUploadCommand({ Bucket, Key }));
    // Uploaded out of order, as aggregators finish.
    const etags = await Promise.all([2, 0, 1].map(async (index) => {
      const { ETag } = await clients.s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: index + 1, Body: parts[index] }));
      return [index, ETag!] as const;
    }));
    const completed = await clients.s3.send(new CompleteMultipartUploadCommand({
      Bucket, Key, UploadId,
      MultipartUpload: { Parts: etags.sort(([a], [b]) => a - b).map(([index, ETag]) => ({ PartNumber: index + 1, ETag })) },
    }));
    // S3's documented form: the MD5 of the parts' binary MD5s, a dash, the number of parts.
    const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest();
    const expected = `"${md5(Buffer.concat(parts.map(md5))).toString('hex')}-3"`;
    expect(completed.ETag).toBe(expected);
    expect((await clients.s3.send(new HeadObjectCommand({ Bucket, Key }))).ETag).toBe(expected);
    expect((await getBytes(clients.s3, Key)).equals(Buffer.concat(parts))).toBe(true);
    const pending = await clients.s3.send(new ListMultipartUploadsCommand({ Bucket }));
    expect((pending.Uploads ?? []).map((upload) => upload.UploadId)).not.toContain(UploadId);
  });

  it('answers NoSuchUpload to a part of an aborted upload, and keeps serving when an upload is aborted while its parts stream in', async () => {
    const Key = 'multipart/aborted.bin';
    const { UploadId } = await clients.s3.send(new CreateMultipartUploadCommand({ Bucket, Key }));
    // A part whose body comes slowly, aborted (a failed job's clean-up) while it streams in.
    const slow = new PassThrough();
    const streaming = clients.s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: slow, ContentLength: 6 * 1024 * 1024 })).then(() => 'stored', (error: Error) => error.name);
    slow.write(randomBytes(1024 * 1024));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await clients.s3.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId }));
    slow.end(randomBytes(5 * 1024 * 1024));
    expect(await streaming).not.toBe('stored');
    // A part after the abort is refused, as S3 refuses it, and the upload does not come back.
    const late = await clients.s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 2, Body: randomBytes(1000) })).then(() => 'stored', (error: Error) => error.name);
    expect(late).toBe('NoSuchUpload');
    const pending = await clients.s3.send(new ListMultipartUploadsCommand({ Bucket }));
    expect((pending.Uploads ?? []).map((upload) => upload.UploadId)).not.toContain(UploadId);
    // The server is still there.
    expect((await clients.s3.send(new PutObjectCommand({ Bucket, Key: 'still-serving', Body: 'yes' }))).ETag).toBeDefined();
  });

  // rank-claim.ts starts each rank of a job once, even when Lambda delivers its start twice.
  it('refuses a PUT with If-None-Match: * once the key exists, and lets exactly one of racing PUTs win', async () => {
    expect(await claimRank(clients.s3, Bucket, 'job-a', 1)).toBe(true);
    expect(await claimRank(clients.s3, Bucket, 'job-a', 1)).toBe(false);
    expect(await claimRank(clients.s3, Bucket, 'job-a', 2)).toBe(true);

    const racing = await Promise.all(Array.from({ length: 8 }, () => claimRank(clients.s3, Bucket, 'job-b', 0)));
    expect(racing.filter(Boolean)).toHaveLength(1);
  });
});

describe('SQS long polls on local-aws-sqs', () => {
  // receiver.ts polls for one message at a time so that a rank gets each message the moment it lands.
  it('a poll for one message returns it as soon as it arrives, long before the wait ends', async () => {
    const QueueUrl = await createQueue('poll-one');
    const waitSeconds = 20;
    const started = performance.now();
    const poll = clients.sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: waitSeconds }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await clients.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'arrived during the poll' }));
    const res = await poll;
    expect(res.Messages?.map((m) => m.Body)).toEqual(['arrived during the poll']);
    expect(performance.now() - started).toBeLessThan((waitSeconds * 1000) / 2);
  });

  // receiver.ts retires a surplus poller when its poll comes back empty.
  it('a poll of an empty queue answers with no messages when its wait ends', async () => {
    const QueueUrl = await createQueue('poll-empty');
    const res = await clients.sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 1 }));
    expect(res.Messages ?? []).toEqual([]);
  });
});

describe('tools/local-aws/serve-emulators.ts (`npm run local-aws`; the serverless plugin starts it too)', () => {
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
      // A 20 s long poll that stop() must cut short: had the server waited for it, it would be answered.
      const poll = client
        .send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 20 }))
        .then(() => 'answered', () => 'cut');
      await new Promise((r) => setTimeout(r, 200));

      child.kill('SIGINT');
      const [code, signal] = await exited;
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(err).toContain('# stopped');
      expect(await poll).toBe('cut');
      client.destroy();
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
