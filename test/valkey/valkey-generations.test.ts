import { describe, expect, it } from 'vitest';
import { encode } from '../../src/mpi/codec/codec.ts';
import { newJobId } from '../../src/runtime/job-id.ts';
import { ValkeyStageJob } from '../../src/service/valkey-stage-job.ts';
import { JobKey } from '../../src/transport/aws/job-key.ts';
import type { Frame, Transport } from '../../src/transport/transport.ts';
import { openValkeyRankTransport } from '../../src/transport/valkey/valkey-rank-transport.ts';
import { resolveValkeySettings } from '../../src/transport/valkey/valkey-settings.ts';
import { keysIn, localValkeyServer } from './local-valkey.ts';

/**
 * A stage's job over Valkey in generations: each generation's ranks pop lists of their own, so a
 * rank of an ended or abandoned generation still in its blocking pop never takes a frame of the
 * next one, and a hand-over deletes the ended generation's lists only.
 */
const valkey = localValkeyServer();

const frame = (value: unknown): Frame => ({ kind: 'data', source: 0, dest: 1, seq: 0, context: 'w', tag: 0, body: encode(value) as Uint8Array });

async function rank(jobId: string, rank: number, generation: number, jobKey: JobKey): Promise<{ transport: Transport; received: unknown[] }> {
  const settings = resolveValkeySettings({ url: valkey.url() });
  const { transport } = await openValkeyRankTransport({ kind: 'valkey', settings, jobId, size: 2, jobKey: jobKey.toText(), generation }, rank);
  const received: unknown[] = [];
  transport.start((f) => {
    received.push(f.seq);
    return 'taken';
  }, () => undefined);
  return { transport, received };
}

describe('a job\'s generations over Valkey', () => {
  it('a rank of the old generation still popping never takes the new generation\'s frames', async () => {
    const jobId = newJobId();
    // The old generation's rank 1 blocks in its pop first: a list it shared would hand it the frame.
    const old = await rank(jobId, 1, 1, JobKey.generate());
    await new Promise((resolve) => setTimeout(resolve, 100));
    const key = JobKey.generate();
    const [sender, next] = await Promise.all([rank(jobId, 0, 2, key), rank(jobId, 1, 2, key)]);
    try {
      await sender.transport.send(frame('for generation 2'));
      for (const started = Date.now(); next.received.length === 0 && Date.now() - started < 10_000;) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(next.received).toEqual([0]);
      expect(old.received).toEqual([]);
      expect(old.transport.rejected?.unauthentic ?? 0).toBe(0);
    } finally {
      await Promise.all([old, sender, next].map((r) => r.transport.close()));
    }
  });

  it('a hand-over deletes the ended generation\'s lists, and leaves the next one\'s and the job\'s "on" key', async () => {
    const jobId = newJobId();
    const settings = resolveValkeySettings({ url: valkey.url() });
    const aws = { bucket: 'unused', region: 'us-east-1', queuePrefix: 'unused' } as never;
    const key = JobKey.generate();
    // Frames wait in both generations' lists of rank 1.
    for (const generation of [1, 2]) {
      const sender = await rank(jobId, 0, generation, key);
      await sender.transport.send(frame(generation));
      await sender.transport.close();
    }
    const stage = await ValkeyStageJob.open(settings, aws, jobId);
    await stage.endGeneration(1, 2);
    expect((await keysIn(valkey.url())).filter((k) => k.includes(jobId))).toEqual([`lambda-mpi:{${jobId}}:g2:1`, `lambda-mpi:{${jobId}}:on`]);
    const last = await ValkeyStageJob.open(settings, aws, jobId);
    await last.end();
    expect((await keysIn(valkey.url())).filter((k) => k.includes(jobId))).toEqual([]);
  });
});
