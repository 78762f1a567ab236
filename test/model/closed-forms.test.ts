import { describe, expect, it } from 'vitest';
import { defineProgram, runLocal, type Program } from '../../src/index.ts';
import { AWS_MODEL_DEFAULTS, type AwsModelConstants } from '../../src/model/constants.ts';
import { base64Length } from '../../src/transport/aws/wire.ts';
import { modelChannels, type ModeledJob, type ModelPlacementOptions } from '../../src/model/modeled-job.ts';

/**
 * The model against closed forms worked out by hand from the constants below: every latency at
 * its median (no tail), and compute free unless a test spends it on a fake CPU meter.
 */
const FLAT: AwsModelConstants = { ...AWS_MODEL_DEFAULTS, latencyTailSigma: 0, lambdaBandwidthBytesPerSecond: Infinity };
/**
 * One hop of a small message to a rank whose long poll is waiting: half an SQS request on the
 * way in (SendMessageBatch stores it) and half on the way out (the poll's answer).
 */
const HOP = 15;
/**
 * A worker's program runs once its check-in to rank 0 is stored (one SQS request: the send's
 * answer comes a whole request latency after it leaves); rank 0 checks in with itself at once.
 */
const CHECK_IN = 15;

async function modeled(program: Program, size: number, options: ModelPlacementOptions = {}) {
  let job: ModeledJob | undefined;
  const result = await runLocal(program, {
    size,
    transport: modelChannels({ constants: FLAT, cpuScale: 0, ...options, onJob: (made) => (job = made) }),
  });
  const durations = result.timings.ranks.map((t) => t.durationMs);
  return { result, durations, job: job! };
}

describe('the model against closed forms', () => {
  it('times a ping-pong of k round trips at 2k hops', async () => {
    const k = 5;
    const pingPong = defineProgram(async (comm) => {
      for (let i = 0; i < k; i++) {
        if (comm.rank === 0) {
          await comm.send(i, 1);
          await comm.recv(1);
        } else {
          await comm.send(await comm.recv(0), 0);
        }
      }
    });
    const { durations } = await modeled(pingPong, 2);
    expect(durations[0]).toBeCloseTo(2 * k * HOP, 6); // 150 ms
  });

  it.each([
    // The deepest rank of a binomial tree is the one with the most bits set: 7 = 0b111 (3 hops),
    // 15 = 0b1111 (4 hops); on 5 ranks it is 3 = 0b11 (2 hops).
    [8, 3],
    [16, 4],
    [5, 2],
  ])('times a binomial bcast of a small value on %i ranks at %i hops', async (size, hops) => {
    const { durations, result } = await modeled(defineProgram(async (comm) => comm.bcast(comm.rank === 0 ? 'v' : undefined)), size);
    expect(result.results).toEqual(new Array(size).fill('v'));
    expect(Math.max(...durations)).toBeCloseTo(hops * HOP, 6);
  });

  it.each([
    // One round of radix 16, once the workers are on (CHECK_IN): every rank signals the other 4
    // and hears 4 signals, all stored at the same moment. Its waiting long poll takes one (1 hop);
    // the draining poll it sends on that answer takes the other three (1 more).
    [5, 2],
    // 15 signals: the long poll takes one (1 hop); the draining poll takes ten, the poller that
    // joined takes one (2 hops); the next draining poll takes the last three (3 hops).
    [16, 3],
  ])('times a radix-16 dissemination barrier on %i ranks at %i hops after the check-in, on every worker', async (size, hops) => {
    const { durations } = await modeled(defineProgram(async (comm) => comm.barrier()), size);
    for (const duration of durations.slice(1)) expect(duration).toBeCloseTo(CHECK_IN + hops * HOP, 6);
    // Rank 0 checks in with itself at once, and the workers' check-ins have its queue's pollers
    // draining by the time their signals come: it leaves no later than they do.
    expect(durations[0]).toBeLessThanOrEqual(CHECK_IN + hops * HOP);
  });

  describe('with the bandwidth of a Lambda (75 MB/s each way)', () => {
    const WITH_BANDWIDTH: AwsModelConstants = { ...FLAT, lambdaBandwidthBytesPerSecond: 75e6 };
    // 1 MiB and the codec's 8-byte header, at 75,000 bytes per ms: 13.98112 ms through one link.
    const TRANSFER = (2 ** 20 + 8) / 75_000;
    const MESSAGE = 2 ** 20;
    // The claim's queue message: magic and MAC, the frame's header (context "w"), the body's
    // SHA-256, as base64: 124 bytes, 0.00165 ms through one link.
    const CLAIM = base64Length(3 + 32 + 24 + 1 + 32) / 75_000;

    it('sends a message above the claim-check threshold through S3: upload, PUT, hop, GET, download', async () => {
      const ping = defineProgram(async (comm) => {
        if (comm.rank === 0) await comm.send(new Uint8Array(MESSAGE), 1);
        else return (await comm.recv<Uint8Array>(0)).byteLength;
        return undefined;
      });
      const { durations, result, job } = await modeled(ping, 2, { constants: WITH_BANDWIDTH });
      expect(result.results[1]).toBe(MESSAGE);
      expect(durations[1]).toBeCloseTo(TRANSFER + 30 + CLAIM + HOP + CLAIM + 20 + TRANSFER, 2); // 92.966 ms
      expect(job.aws.counts.s3Put).toBe(1);
      expect(job.aws.counts.s3Get).toBe(1);
    });

    it('shares a rank\'s bandwidth among its concurrent transfers: four copies at once take four times as long', async () => {
      const fanOut = defineProgram(async (comm) => {
        if (comm.rank === 0) await Promise.all([1, 2, 3, 4].map((dest) => comm.send(new Uint8Array(MESSAGE), dest)));
        else await comm.recv(0);
      });
      const { durations } = await modeled(fanOut, 5, { constants: WITH_BANDWIDTH });
      // Four uploads, then four claims, share rank 0's link; each receiver downloads alone.
      for (const rank of [1, 2, 3, 4]) expect(durations[rank]).toBeCloseTo(4 * TRANSFER + 30 + 4 * CLAIM + HOP + CLAIM + 20 + TRANSFER, 2);
    });
  });

  it('broadcasts a large value as one S3 object: one upload by the root, the reference down the tree, one download per rank', async () => {
    const WITH_BANDWIDTH: AwsModelConstants = { ...FLAT, lambdaBandwidthBytesPerSecond: 75e6 };
    const TRANSFER = (2 ** 20 + 8) / 75_000; // 1 MiB and the codec's header through one link
    const program = defineProgram(async (comm) => (await comm.bcast(comm.rank === 0 ? new Uint8Array(2 ** 20).fill(7) : undefined))!.every((x) => x === 7));
    const { durations, result, job } = await modeled(program, 8, { constants: WITH_BANDWIDTH });
    expect(result.results).toEqual(new Array(8).fill(true));
    expect(job.aws.counts.s3Put).toBe(1);
    expect(job.aws.counts.s3Get).toBe(7);
    // Rank 7 is three hops down the tree (0 → 4 → 6 → 7): upload and PUT, three hops of the
    // reference (a message of ~150 bytes: ~0.002 ms a link), GET and download.
    expect(Math.max(...durations)).toBeCloseTo(TRANSFER + 30 + 3 * HOP + 20 + TRANSFER, 1);
  });

  it('packs frames sent together to one rank into one SendMessageBatch, as the AWS outbox does', async () => {
    const burst = (awaitEach: boolean) => defineProgram(async (comm) => {
      if (comm.rank === 1) {
        for (let i = 0; i < 25; i++) await comm.recv(0);
        return undefined;
      }
      if (awaitEach) for (let i = 0; i < 25; i++) await comm.send(i, 1);
      else await Promise.all(Array.from({ length: 25 }, (_, i) => comm.send(i, 1)));
      return undefined;
    });
    const together = await modeled(burst(false), 2);
    const oneByOne = await modeled(burst(true), 2);
    // Besides rank 1's check-in and report to rank 0: one call for the burst, twenty-five one by one.
    expect(together.job.aws.counts.sqsByAction.get('SendMessageBatch')).toBe(1 + 2);
    expect(oneByOne.job.aws.counts.sqsByAction.get('SendMessageBatch')).toBe(25 + 2);
  });

  describe('compute, measured on a CPU meter the program advances', () => {
    it('advances a rank\'s clock by the CPU it used, scaled', async () => {
      let cpu = 0;
      const program = defineProgram(async (comm) => {
        await comm.barrier(); // one hop; afterwards every rank runs in the model's turns
        if (comm.rank === 1) {
          cpu += 50;
          await comm.send('done computing', 0);
        } else {
          await comm.recv(1);
        }
      });
      const { durations } = await modeled(program, 2, { cpuScale: 2, meter: () => cpu });
      expect(durations[0]).toBeCloseTo(CHECK_IN + HOP + 2 * 50 + HOP, 6); // 145 ms
    });

    it('lets a busy rank poll again only when it yields, as Node\'s event loop does', async () => {
      let cpu = 0;
      const program = defineProgram(async (comm) => {
        await comm.barrier();
        if (comm.rank === 1) {
          await comm.send('early', 0); // arrives one hop later
          return undefined;
        }
        cpu += 100; // rank 0 computes past the arrival
        await comm.recv(1);
        return undefined;
      });
      const { durations } = await modeled(program, 2, { cpuScale: 1, meter: () => cpu });
      // The barrier's message used rank 0's waiting poll; the next one leaves when its turn ends,
      // after the compute, and finds the early message waiting: one more hop.
      expect(durations[0]).toBeCloseTo(CHECK_IN + HOP + 100 + HOP, 6);
    });
  });
});
