import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Message } from '@aws-sdk/client-sqs';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { JobTimeoutError, SUM, defineProgram, runLocal, type Program, type RunLocalOptions, type RunResult } from '../../src/index.ts';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../../src/config.ts';
import { wireLimits } from '../../src/transport/aws/wire.ts';
import { localS3Client } from '../../tools/local-aws/clients.ts';
import { rejection } from '../conformance/target.ts';
import { encode } from '../../src/mpi/codec/codec.ts';
import { encodeControl } from '../../src/runtime/control.ts';
import type { AwsJobTransportsOptions } from '../../src/transport/aws/aws-job-transports.ts';
import { Attacker, frame } from './attacker.ts';
import { itLeavesNothingBehind, recordJobId } from './leftovers.ts';
import { localAwsOptions } from './local-aws-options.ts';
import { peekFrames } from './wire-peek.ts';
import { claimCheckKey } from '../../src/job-store/keys.ts';

/**
 * Issue 17's attacks on a running job over the local SQS and S3: messages sent straight to the
 * job's queues by someone who knows the format but not the job's key. Each job must succeed with
 * its true values, and count what it dropped. The forging is done by a rank's program before the
 * real traffic it races (so the forgeries are first in the queue), through a plain SQS client.
 */
const QUEUE_PREFIX = 'lmforge';
const jobIds: string[] = [];
const attacker = new Attacker(inject('localAws').sqsEndpoint, QUEUE_PREFIX);
afterAll(() => attacker.close());

function runOverAws<I, R>(program: Program<I, R>, { aws, ...options }: { size: number; timeoutMs?: number; aws?: Partial<AwsJobTransportsOptions> }): Promise<RunResult<R>> {
  const settings = localAwsOptions({ queuePrefix: QUEUE_PREFIX, ...aws });
  return recordJobId(jobIds, runLocal(program, { timeoutMs: 30_000, ...options, transport: 'aws', aws: settings } as RunLocalOptions<I>));
}

/** Rank 0 waits for this before its real traffic, so the forgeries sent before it are first. */
const GO = 'go';

describe('messages that do not come from the job are dropped, counted, and the job gets its true values', () => {
  it('forged data frames "from rank 0" with the next sequence numbers do not replace the real ones', async () => {
    const program = defineProgram(async (comm) => {
      if (comm.rank === 1) {
        const forged = Array.from({ length: 40 }, (_, seq) => frame({ source: 0, dest: 1, seq, body: encode(-1 - seq) }));
        await attacker.send(comm.jobId, 1, attacker.forge(comm.jobId, forged));
        await comm.send(GO, 0);
        const got: number[] = [];
        for (let i = 0; i < 40; i++) got.push(await comm.recv<number>(0));
        await attacker.drained(comm.jobId, 1);
        return got;
      }
      await comm.recv(1);
      await Promise.all(Array.from({ length: 40 }, (_, i) => comm.send(i, 1)));
      return 'sent';
    });
    const warnings: string[] = [];
    const r = await runOverAws(program, { size: 2, aws: { warn: (line) => void warnings.push(line) } });
    expect(r.results[1]).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(r.link.rejected).toEqual({ malformed: 0, unauthentic: 40, badClaim: 0 });
    expect(r.link.duplicatesDropped).toBe(0);
    // Forty dropped, one line said so.
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/rank 1 dropped a message that failed authentication .*rejected\.unauthentic/);
  });

  it('200 forged frames on the collectives\' context do not eat the barrier\'s frames', async () => {
    const program = defineProgram(async (comm) => {
      if (comm.rank > 0) {
        const forged = Array.from({ length: 200 }, (_, seq) => frame({ source: 0, dest: comm.rank, seq, context: 'w#c', body: encode(null) }));
        await attacker.send(comm.jobId, comm.rank, attacker.forge(comm.jobId, forged, 10));
        await comm.send(GO, 0);
      } else {
        for (let rank = 1; rank < comm.size; rank++) await comm.recv(rank);
      }
      await comm.barrier();
      const sum = await comm.allreduce(comm.rank + 1, SUM);
      if (comm.rank > 0) await attacker.drained(comm.jobId, comm.rank);
      return sum;
    });
    const r = await runOverAws(program, { size: 3 });
    expect(r.results).toEqual([6, 6, 6]);
    expect(r.link.rejected.unauthentic).toBe(2 * 20);
  });

  it('a forged control "abort from rank 0" stops no rank', async () => {
    const program = defineProgram(async (comm) => {
      if (comm.rank === 1) {
        const abort = encodeControl({ type: 'abort', origin: 0, reason: 'forged' });
        const forged = Array.from({ length: 5 }, (_, seq) => frame({ kind: 'ctrl', context: '', source: 0, dest: 1, seq, body: abort }));
        await attacker.send(comm.jobId, 1, attacker.forge(comm.jobId, forged));
        await comm.send(GO, 0);
        const value = await comm.recv<string>(0);
        await attacker.drained(comm.jobId, 1);
        return value;
      }
      await comm.recv(1);
      await comm.send('the true value', 1);
      return 'sent';
    });
    const r = await runOverAws(program, { size: 2 });
    expect(r.results).toEqual(['sent', 'the true value']);
    expect(r.link.rejected.unauthentic).toBe(5);
  });

  it('garbage in every queue fails no job, and each rank says so once', async () => {
    // Text, the old unauthenticated format (what issue 17's forgeries used), random bytes.
    const oldFormat = Buffer.concat([Buffer.from([0x4c, 0x4d, 0x01, 0, 0]), Buffer.alloc(24)]).toString('base64');
    const garbage = ['hello', oldFormat, randomBytes(2_000).toString('base64'), 'x'.repeat(50_000)];
    const program = defineProgram(async (comm) => {
      if (comm.rank === 1) {
        for (let rank = 0; rank < comm.size; rank++) await attacker.send(comm.jobId, rank, garbage);
        await comm.send(GO, 0);
        const value = await comm.recv<number[]>(0);
        await attacker.drained(comm.jobId, 1);
        return value;
      }
      await comm.recv(1);
      await attacker.drained(comm.jobId, 0);
      await comm.send([1, 2, 3], 1);
      return 'sent';
    });
    const warnings: string[] = [];
    const r = await runOverAws(program, { size: 2, aws: { warn: (line) => void warnings.push(line) } });
    expect(r.results[1]).toEqual([1, 2, 3]);
    expect(r.link.rejected).toEqual({ malformed: 2 * garbage.length, unauthentic: 0, badClaim: 0 });
    expect(warnings.filter((line) => /rank 0 dropped a message that is not one of lambda-mpi's/.test(line))).toHaveLength(1);
    expect(warnings.filter((line) => /rank 1 dropped a message that is not one of lambda-mpi's/.test(line))).toHaveLength(1);
  });

  it('another job\'s messages, this job\'s messages copied to another queue or truncated, are dropped; a replay is a duplicate', async () => {
    // Job A's authentic messages, as anyone who can read its queues would copy them.
    const fromA: string[] = [];
    const pingPong = defineProgram(async (comm) => {
      if (comm.rank === 0) {
        await comm.send('ping', 1);
        return comm.recv<string>(1);
      }
      await comm.send(`${await comm.recv<string>(0)}-pong`, 0);
      return 'done';
    });
    await runOverAws(pingPong, { size: 2, aws: { skipDelete: (message) => (fromA.push(message.Body!), false) } });
    expect(fromA.length).toBeGreaterThan(0);

    // Job B: its own messages are copied as they are handled, then sent back altered.
    const fromB: string[] = [];
    let expectedUnauthentic = 0;
    let replayedFrames = 0;
    const program = defineProgram(async (comm) => {
      if (comm.rank === 0) {
        await comm.send('first', 1);
        await comm.recv(1);
        await attacker.drained(comm.jobId, 0);
        await comm.send('the true value', 1);
        return 'sent';
      }
      await comm.recv(0);
      // The copy is made once the message is handled, a moment after its frame was delivered.
      while (!fromB.some((body) => peekFrames(body)[0]?.dest === 1)) await new Promise((resolve) => setTimeout(resolve, 10));
      const own = fromB.filter((body) => peekFrames(body)[0]?.dest === 1);
      const attack: Array<[number, string[]]> = [
        [0, fromA], [1, fromA],
        // Sealed for rank 1's queue, sent to rank 0's.
        [0, own],
        // Cut short: the end of the message is gone.
        [1, own.map((body) => { const raw = Buffer.from(body, 'base64'); return raw.subarray(0, raw.byteLength - 5).toString('base64'); })],
      ];
      for (const [rank, bodies] of attack) {
        await attacker.send(comm.jobId, rank, bodies);
        expectedUnauthentic += bodies.length;
      }
      // Sent again as it was: authentic, but its frames were delivered already.
      await attacker.send(comm.jobId, 1, own);
      replayedFrames = own.reduce((sum, body) => sum + peekFrames(body).length, 0);
      await comm.send(GO, 0);
      const value = await comm.recv<string>(0);
      await attacker.drained(comm.jobId, 1);
      return value;
    });
    const r = await runOverAws(program, { size: 2, aws: { skipDelete: (message: Message) => (fromB.push(message.Body!), false) } });
    expect(r.results).toEqual(['sent', 'the true value']);
    expect(replayedFrames).toBeGreaterThan(0);
    expect(r.link.rejected).toEqual({ malformed: 0, unauthentic: expectedUnauthentic, badClaim: 0 });
    expect(r.link.duplicatesDropped).toBe(replayedFrames);
  });

  it('100,000 forged frames far ahead are not held', async () => {
    const FLOOD = 100_000;
    const PER_MESSAGE = 25_000;
    const program = defineProgram(async (comm) => {
      if (comm.rank === 1) {
        const forged = Array.from({ length: FLOOD }, (_, i) => frame({ source: 0, dest: 1, seq: 1_000_000 + i, body: new Uint8Array(1) }));
        await attacker.send(comm.jobId, 1, attacker.forge(comm.jobId, forged, PER_MESSAGE));
        await comm.send(GO, 0);
        const value = await comm.recv<number>(0);
        await attacker.drained(comm.jobId, 1);
        return value;
      }
      await comm.recv(1);
      await comm.send(42, 1);
      return 'sent';
    });
    const r = await runOverAws(program, { size: 2 });
    expect(r.results[1]).toBe(42);
    expect(r.link.rejected.unauthentic).toBe(FLOOD / PER_MESSAGE);
    // What the job itself reordered, at most: nothing of the flood.
    expect(r.link.mostHeld).toBeLessThan(100);
  });
});

describe('a claim-checked body replaced in S3 after it was sent', () => {
  it('is never delivered: the receiver drops its frame, says so, and waits on for the true one', async () => {
    const length = wireLimits(DEFAULT_MAX_MESSAGE_BYTES).claimCheckThreshold + 1;
    let jobId = '';
    const program = defineProgram(async (comm) => {
      jobId = comm.jobId;
      if (comm.rank === 0) {
        await comm.send(new Uint8Array(length).fill(7), 1);
        return 'sent';
      }
      return (await comm.recv<Uint8Array>(0)).every((byte) => byte === 7);
    });
    // Whoever can write the bucket swaps the body while SQS holds the claim back once.
    const s3 = localS3Client(inject('localAws').s3Endpoint);
    const swapped = new Set<string>();
    const delay = (message: Message) => {
      const first = peekFrames(message.Body!)[0];
      if (!first?.claimChecked || swapped.has(message.MessageId!)) return false;
      swapped.add(message.MessageId!);
      void s3.send(new PutObjectCommand({ Bucket: inject('localAws').bucket, Key: claimCheckKey(jobId, first), Body: new Uint8Array(first.bodyLength).fill(6) }));
      return true;
    };
    const warnings: string[] = [];
    try {
      const error = await rejection(runOverAws(program, { size: 2, timeoutMs: 6_000, aws: { delay, visibilityTimeoutSeconds: 1, warn: (line) => void warnings.push(line) } }));
      expect(swapped.size).toBe(1);
      // The rank never got the other bytes: it still waited for rank 0's message at the deadline.
      expect(error).toBeInstanceOf(JobTimeoutError);
      expect(error.message).toMatch(/rank 1 waits in recv, source 0/);
      expect(warnings.filter((line) => /rank 1 dropped a frame whose S3 body is not the one it was sent with \(.*its SHA-256 differs\)/.test(line))).toHaveLength(1);
    } finally {
      s3.destroy();
    }
  }, 30_000);
});

describe('a sender far ahead of a delayed message (authentic frames beyond the reorder window)', () => {
  it('gets every frame delivered exactly once, in order: frames too far ahead come back later instead of being held', async () => {
    const BURSTS = 3;
    const PER_BURST = 5_000;
    const program = defineProgram(async (comm) => {
      if (comm.rank === 0) {
        for (let burst = 0; burst < BURSTS; burst++) {
          await Promise.all(Array.from({ length: PER_BURST }, (_, i) => comm.send(burst * PER_BURST + i, 1)));
        }
        return 'sent';
      }
      let inOrder = true;
      for (let i = 0; i < BURSTS * PER_BURST; i++) if ((await comm.recv<number>(0)) !== i) inOrder = false;
      return inOrder;
    });
    // SQS holds back the first burst's message until the later bursts have arrived.
    const later = new Set<string>();
    let delays = 0;
    const delay = (message: Message) => {
      const first = peekFrames(message.Body!)[0];
      if (first?.source !== 0 || first.dest !== 1) return false;
      if (first.seq > 0) later.add(message.MessageId!);
      if (first.seq > 0 || later.size === BURSTS - 1) return false;
      delays++;
      return true;
    };
    const r = await runOverAws(program, { size: 2, aws: { delay, visibilityTimeoutSeconds: 1 } });
    expect(delays).toBeGreaterThan(0);
    expect(r.results).toEqual(['sent', true]);
    expect(r.link.beyondWindow).toBeGreaterThan(0);
    expect(r.link.rejected).toEqual({ malformed: 0, unauthentic: 0, badClaim: 0 });
  }, 60_000);
});

itLeavesNothingBehind(QUEUE_PREFIX, jobIds);
