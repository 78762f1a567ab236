import { describe, expect, it } from 'vitest';
import { RankLostError, defineProgram } from '../../src/index.ts';
import { newJobId } from '../../src/runtime/job-id.ts';
import { LivenessMonitor, type LivenessView } from '../../src/runtime/liveness.ts';
import { runRankZero } from '../../src/runtime/rank-zero.ts';
import { runWorkerRank } from '../../src/runtime/worker-rank.ts';
import { MemoryFabric } from '../../src/transport/memory/memory-transport.ts';

/**
 * Rank 0's watch over the other ranks: a rank that never checks in, or goes silent, is lost and
 * named; a rank busy in synchronous code whose process vouches for it is not.
 */
const T0 = 1_000_000;
const limits = { startDeadlineMs: 30_000, silenceMs: 10_000 };
const binaryTree = (rank: number) => Math.floor((rank - 1) / 2);

function view(state: { size: number; launchedAt?: number; checkedIn?: Record<number, number>; sent?: Record<number, number>; done?: number[] }): LivenessView {
  return {
    size: state.size,
    launchedAt: () => state.launchedAt,
    checkedInAt: (rank) => state.checkedIn?.[rank],
    sentAt: (rank) => state.sent?.[rank],
    isRunning: (rank) => !(state.done ?? []).includes(rank),
  };
}

const monitor = (v: LivenessView, busy: Record<number, number> = {}) =>
  new LivenessMonitor(v, { ...limits, parentOf: binaryTree, busyAt: async (rank) => busy[rank] }, () => undefined);

describe('who is lost', () => {
  it('a child of rank 0 that never checked in, once the start deadline after rank 0 launched it passed', async () => {
    const v = view({ size: 3, launchedAt: T0, checkedIn: { 1: T0 + 100 }, sent: { 1: T0 + 28_000 } });
    expect(await monitor(v).findLost(T0 + 29_000)).toBeUndefined();
    expect(await monitor(v).findLost(T0 + 31_000)).toEqual({ rank: 2, state: 'never-started', waitedMs: 31_000 });
  });

  it('a rank that never checked in but whose process began (its start claim) is silent since then, not never started', async () => {
    const v = view({ size: 2, launchedAt: T0 });
    const m = new LivenessMonitor(v, { ...limits, parentOf: binaryTree, claimedAt: async () => T0 + 700 }, () => undefined);
    expect(await m.findLost(T0 + 31_000)).toEqual({ rank: 1, state: 'silent', since: T0 + 700, evidence: 'start-claim' });
  });

  it('a grandchild counts from its parent\'s check-in, and waits while its parent has not started', async () => {
    const notYet = view({ size: 4, launchedAt: T0, checkedIn: { 2: T0 + 100 } });
    // Rank 3's parent (1) never started: rank 1 is the one that is late.
    expect(await monitor(notYet).findLost(T0 + 31_000)).toEqual({ rank: 1, state: 'never-started', waitedMs: 31_000 });
    const started = view({ size: 4, launchedAt: T0, checkedIn: { 1: T0 + 20_000, 2: T0 + 100 }, sent: { 1: T0 + 45_000, 2: T0 + 45_000 } });
    expect(await monitor(started).findLost(T0 + 49_000)).toBeUndefined();
    expect(await monitor(started).findLost(T0 + 51_000)).toEqual({ rank: 3, state: 'never-started', waitedMs: 31_000 });
  });

  it('a rank silent for longer than the silence limit, once its process had as long again to vouch for it and did not, named with its last stamp', async () => {
    const v = view({ size: 3, launchedAt: T0, checkedIn: { 1: T0, 2: T0 }, sent: { 1: T0 + 5_000, 2: T0 + 9_000 } });
    expect(await monitor(v).findLost(T0 + 14_000)).toBeUndefined();
    expect(await monitor(v).findLost(T0 + 24_000)).toBeUndefined();
    expect(await monitor(v).findLost(T0 + 26_000)).toEqual({ rank: 1, state: 'silent', since: T0 + 5_000, evidence: 'heartbeats', caughtUpAt: T0 + 26_000 });
  });

  it('not a rank whose newest stamp is old only because rank 0 has not read its queue since: silence counts as of rank 0\'s last catch-up', async () => {
    const v = view({ size: 2, launchedAt: T0, checkedIn: { 1: T0 }, sent: { 1: T0 + 5_000 } });
    const caughtUpAt = { at: T0 + 14_000 as number | undefined };
    const m = new LivenessMonitor(v, { ...limits, parentOf: binaryTree, caughtUpAt: () => caughtUpAt.at }, () => undefined);
    // A minute later by rank 0's clock, but its queue was last drained 9 s after the rank's stamp.
    expect(await m.findLost(T0 + 60_000)).toBeUndefined();
    caughtUpAt.at = undefined;
    expect(await m.findLost(T0 + 60_000)).toBeUndefined();
    caughtUpAt.at = T0 + 26_000;
    expect(await m.findLost(T0 + 60_000)).toEqual({ rank: 1, state: 'silent', since: T0 + 5_000, evidence: 'heartbeats', caughtUpAt: T0 + 26_000 });
  });

  it('not a rank that never checked in while its check-in may wait in rank 0\'s queue', async () => {
    const v = view({ size: 2, launchedAt: T0 });
    const m = new LivenessMonitor(v, { ...limits, parentOf: binaryTree, caughtUpAt: () => T0 + 20_000 }, () => undefined);
    expect(await m.findLost(T0 + 90_000)).toBeUndefined();
  });

  it('not a rank that reported, however long ago', async () => {
    const v = view({ size: 2, launchedAt: T0, checkedIn: { 1: T0 }, sent: { 1: T0 }, done: [1] });
    expect(await monitor(v).findLost(T0 + 600_000)).toBeUndefined();
  });

  it('not a quiet rank whose process says it is busy, until that goes stale too', async () => {
    const now = Date.now();
    const v = view({ size: 2, launchedAt: now - 60_000, checkedIn: { 1: now - 60_000 }, sent: { 1: now - 40_000 } });
    expect(await monitor(v, { 1: now - 2_000 }).findLost(now)).toBeUndefined();
    expect(await monitor(v, { 1: now - 25_000 }).findLost(now)).toEqual({ rank: 1, state: 'silent', since: now - 25_000, evidence: 'pulse' });
  });
});

describe('a job with a lost rank (in-process, one worker that never starts or goes quiet)', () => {
  const program = defineProgram(async (comm) => {
    await comm.barrier();
    return comm.rank;
  });

  it('fails at the start deadline, naming the rank that never started, long before the job\'s timeout', async () => {
    const fabric = new MemoryFabric(2);
    const started = Date.now();
    const error = await runRankZero({
      jobId: newJobId(), rank: 0, size: 2, program, input: undefined, transport: fabric.transport(0),
      deadline: Date.now() + 60_000, timeoutMs: 60_000, processorName: 'test',
      launchWorkers: async () => undefined, // the invocation is accepted, and never runs
      liveness: { startDeadlineMs: 300, silenceMs: 300, parentOf: () => 0, checkEveryMs: 50 },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RankLostError);
    expect(error).toMatchObject({ rank: 1, lost: { rank: 1, state: 'never-started' } });
    expect((error as Error).message).toMatch(/^rank 1 never started: it did not check in within \d+ s of its invocation \(likely throttled/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('fails when a rank that checked in goes silent, naming it', async () => {
    const fabric = new MemoryFabric(2);
    const jobId = newJobId();
    const common = { jobId, size: 2, input: undefined, deadline: Date.now() + 60_000, timeoutMs: 60_000, processorName: 'test' };
    // Rank 1 checks in, then its process is gone: no heartbeat, no report.
    const gone = defineProgram(async (comm) => (comm.rank === 1 ? new Promise(() => undefined) : comm.barrier()));
    void runWorkerRank({ ...common, program: gone, rank: 1, transport: fabric.transport(1), events: { heartbeatMs: 0 } });
    const error = await runRankZero({
      ...common, program: gone, rank: 0, transport: fabric.transport(0), launchWorkers: async () => undefined,
      liveness: { startDeadlineMs: 5_000, silenceMs: 300, parentOf: () => 0, checkEveryMs: 50 },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RankLostError);
    expect(error).toMatchObject({ rank: 1, lost: { state: 'silent' } });
    expect((error as Error).message).toMatch(/^rank 1 stopped answering: its heartbeats stopped at \S+Z while rank 0 was caught up with its queue at \S+Z, and its process kept no pulse \(its process ended/);
  });
});
