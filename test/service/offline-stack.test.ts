/**
 * How `startOfflineStack` (tools/local-aws/offline-stack.ts) learns that `sls offline start` is
 * ready, or why it is not: the serverless plugin's JSON ready line. The successful start is what
 * every end-to-end test stands on (offline.test.ts); this is the failure side.
 */
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../tools/local-aws/free-port.ts';
import { startOfflineStack } from '../../tools/local-aws/offline-stack.ts';

describe('startOfflineStack', () => {
  it('fails with the local servers\' own error when a port is taken (not a timeout) and removes its work folder', { timeout: 120_000 }, async () => {
    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const s3Port = (blocker.address() as { port: number }).port;
    const [httpPort, lambdaPort] = await Promise.all([freePort(), freePort()]);
    try {
      const started = startOfflineStack({
        httpPort, lambdaPort, s3Port, sqsPort: 0, stage: 'busyport', readyTimeoutMs: 90_000,
      });
      await expect(started).rejects.toMatchObject({ code: 'EADDRINUSE', message: expect.stringContaining(`S3 port ${s3Port}`) });
    } finally {
      blocker.close();
    }
    expect(existsSync(new URL(`../../.esbuild-offline-busyport-${httpPort}`, import.meta.url))).toBe(false);
  });
});
