/**
 * The one way to start the local S3/SQS servers (tools/local-aws/emulator-process.ts), which the
 * serverless plugin, the bench and this suite's global setup rely on: it learns the endpoints from
 * the child's JSON ready line, reports a failed start with the server's own error, and never
 * leaves the servers running after it or its parent is gone.
 */
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { isProcessAlive } from '../../tools/local-aws/child-process.ts';
import { localS3Client, localSqsClient } from '../../tools/local-aws/clients.ts';
import { startEmulatorProcess } from '../../tools/local-aws/emulator-process.ts';

async function untilGone(pid: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (isProcessAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`process ${pid} is still running`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('startEmulatorProcess', () => {
  it('reports the endpoints of a separate process through its ready line, with the asked buckets already there', async () => {
    const emulators = await startEmulatorProcess({ buckets: ['ready-line-bucket'] });
    const s3 = localS3Client(emulators.s3Endpoint);
    try {
      expect(emulators.pid).not.toBe(process.pid);
      expect(isProcessAlive(emulators.pid)).toBe(true);
      expect(emulators.s3Endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(emulators.sqsEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(emulators.buckets).toEqual(['ready-line-bucket']);
      await expect(s3.send(new HeadBucketCommand({ Bucket: 'ready-line-bucket' }))).resolves.toBeDefined();
      await expect(s3.send(new HeadBucketCommand({ Bucket: 'never-asked-for' }))).rejects.toMatchObject({ name: 'NotFound' });
    } finally {
      s3.destroy();
      await emulators.stop();
    }
  });

  it('fails a start on a port in use with the server\'s own error, not a timeout', async () => {
    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(startEmulatorProcess({ sqsPort: port, readyTimeoutMs: 60_000 })).rejects.toMatchObject({
        code: 'EADDRINUSE',
        message: expect.stringContaining(`SQS port ${port}`),
      });
    } finally {
      blocker.close();
    }
  });

  it('stop() ends the servers even while a long poll is open', async () => {
    const emulators = await startEmulatorProcess();
    const sqs = localSqsClient(emulators.sqsEndpoint, { maxAttempts: 1 });
    try {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'held-open' }));
      const poll = sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 20 })).then(() => 'answered', () => 'cut');
      await new Promise((resolve) => setTimeout(resolve, 200));
      await emulators.stop();
      expect(isProcessAlive(emulators.pid)).toBe(false);
      expect(await poll).toBe('cut');
    } finally {
      sqs.destroy();
    }
  });

  it('the servers stop by themselves when their parent is killed without stopping them', { timeout: 60_000 }, async () => {
    const parent = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/emulator-parent.ts'], {
      cwd: new URL('../..', import.meta.url),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const [pid] = (await once(parent.stdout!.setEncoding('utf8'), 'data')) as [string];
      const serverPid = Number(pid.trim());
      expect(isProcessAlive(serverPid)).toBe(true);
      parent.kill('SIGKILL');
      await untilGone(serverPid);
    } finally {
      if (parent.exitCode === null && parent.signalCode === null) parent.kill('SIGKILL');
    }
  });
});
