import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, inject, it } from 'vitest';
import { busyMarkerUrl, readBusy } from '../../src/service/job-liveness.ts';
import { Pulse } from '../../src/service/pulse.ts';
import { resolveAwsSettings } from '../../src/config.ts';
import { busyKey } from '../../src/job-store/keys.ts';
import { localS3Client } from '../../tools/local-aws/clients.ts';

/**
 * A worker's pulse vouches for a quiet rank before its bundle is loaded: on a loaded machine the
 * bundle's load is done long after rank 0 judged the rank, so the pulse's first code writes the
 * busy marker itself, through a signed URL, to the real S3 wire server.
 */
describe('a worker\'s pulse before its bundle runs', () => {
  // A bundle whose load never ends: only the launcher can speak.
  const neverLoads = new URL('data:text/javascript,await new Promise(() => {});');

  it('writes the busy marker of a quiet rank through its signed URL, and writes nothing once stopped', async () => {
    const local = inject('localAws');
    const s3 = localS3Client(local.s3Endpoint);
    const jobId = `pulse-launcher-${Date.now()}`;
    const rank = 3;
    const busyUrl = busyMarkerUrl(s3, local.bucket, jobId, rank);
    const startedAt = Date.now();
    const pulse = Pulse.start({
      jobId, rank, endProcess: false, quietAfterMs: 300, busyUrl,
      aws: resolveAwsSettings({ bucket: local.bucket, endpoints: { s3: local.s3Endpoint } }),
    }, neverLoads);
    try {
      const first = await until(() => readBusy(s3, local.bucket, jobId, rank));
      expect(first).toBeGreaterThan(startedAt + 300);
      // It goes on speaking while the rank stays quiet.
      const later = await until(async () => {
        const at = await readBusy(s3, local.bucket, jobId, rank);
        return at !== undefined && at > first ? at : undefined;
      });
      expect(later - first).toBeGreaterThanOrEqual(2_000);
    } finally {
      await pulse.stop();
    }
    const lastWord = await readBusy(s3, local.bucket, jobId, rank);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(await readBusy(s3, local.bucket, jobId, rank)).toBe(lastWord);
    await s3.send(new DeleteObjectCommand({ Bucket: local.bucket, Key: busyKey(jobId, rank) }));
    s3.destroy();
  }, 30_000);

  it('says nothing for a rank whose events get through', async () => {
    const local = inject('localAws');
    const s3 = localS3Client(local.s3Endpoint);
    const jobId = `pulse-launcher-heard-${Date.now()}`;
    const busyUrl = busyMarkerUrl(s3, local.bucket, jobId, 1);
    const pulse = Pulse.start({
      jobId, rank: 1, endProcess: false, quietAfterMs: 1_000, busyUrl,
      aws: resolveAwsSettings({ bucket: local.bucket, endpoints: { s3: local.s3Endpoint } }),
    }, neverLoads);
    const sending = setInterval(() => pulse.sent(Date.now()), 200);
    try {
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      expect(await readBusy(s3, local.bucket, jobId, 1)).toBeUndefined();
    } finally {
      clearInterval(sending);
      await pulse.stop();
      s3.destroy();
    }
  }, 30_000);
});

async function until<T>(read: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
