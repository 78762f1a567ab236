import { describe, expect, it } from 'vitest';
import { DeadlockJudge, type OwnActivity } from '../../src/runtime/deadlock-judge.ts';
import type { RankActivity } from '../../src/runtime/job-events.ts';

/** Blocked in recv from `peer` (world ranks, tag 0), having sent and taken so many data frames. */
function inRecv(peer: number, sent: number, taken: number): RankActivity {
  return { sent, taken, wait: { operation: 'recv', source: peer, tag: 0, peer } };
}

const HEARTBEAT_MS = 5_000;

describe('rank 0\'s deadlock judge, from the workers\' heartbeats', () => {
  it('names the ranks once every rank was blocked, with the same counts, over an interval common to all, and every frame sent was taken', () => {
    const judge = new DeadlockJudge(2);
    const own: OwnActivity = { running: true, activity: inRecv(1, 3, 2) };
    expect(judge.judge(own, 1_000)).toBeUndefined();
    judge.heartbeat(1, 2_000, inRecv(0, 2, 3));
    expect(judge.judge(own, 2_500)).toBeUndefined();
    judge.heartbeat(1, 2_000 + HEARTBEAT_MS, inRecv(0, 2, 3));
    expect(judge.judge(own, 2_500 + HEARTBEAT_MS)).toEqual([
      { rank: 0, operation: 'recv', source: 1, tag: 0, peer: 1 },
      { rank: 1, operation: 'recv', source: 0, tag: 0, peer: 0 },
    ]);
  });

  it('waits while a frame sent is not taken yet (still in a queue, or shown again later by SQS)', () => {
    const judge = new DeadlockJudge(2);
    const own: OwnActivity = { running: true, activity: inRecv(1, 3, 2) };
    judge.judge(own, 0);
    judge.heartbeat(1, 1_000, inRecv(0, 2, 2));
    judge.heartbeat(1, 6_000, inRecv(0, 2, 2));
    expect(judge.judge(own, 7_000)).toBeUndefined();
  });

  it('waits while a rank\'s two last heartbeats differ: it took or sent something between them', () => {
    const judge = new DeadlockJudge(2);
    const own: OwnActivity = { running: true, activity: inRecv(1, 3, 3) };
    judge.judge(own, 0);
    judge.heartbeat(1, 1_000, inRecv(0, 2, 3));
    judge.heartbeat(1, 6_000, inRecv(0, 3, 3));
    expect(judge.judge(own, 7_000)).toBeUndefined();
    judge.heartbeat(1, 11_000, inRecv(0, 3, 3));
    expect(judge.judge(own, 12_000)).toHaveLength(2);
  });

  it('waits while a worker runs outside any call, or rank 0 itself does', () => {
    const judge = new DeadlockJudge(2);
    judge.heartbeat(1, 1_000, { sent: 0, taken: 0 });
    judge.heartbeat(1, 6_000, { sent: 0, taken: 0 });
    expect(judge.judge({ running: true, activity: inRecv(1, 0, 0) }, 7_000)).toBeUndefined();
    const other = new DeadlockJudge(2);
    other.heartbeat(1, 1_000, inRecv(0, 0, 0));
    other.heartbeat(1, 6_000, inRecv(0, 0, 0));
    expect(other.judge({ running: true, activity: { sent: 0, taken: 0 } }, 0)).toBeUndefined();
    expect(other.judge({ running: true, activity: { sent: 0, taken: 0 } }, 7_000)).toBeUndefined();
  });

  it('needs rank 0 to have stayed as it is over the interval the workers\' heartbeats bracket', () => {
    const judge = new DeadlockJudge(2);
    judge.heartbeat(1, 1_000, inRecv(0, 0, 0));
    judge.heartbeat(1, 6_000, inRecv(0, 0, 0));
    // Rank 0 blocked only from 7 s on: the worker's samples say nothing of that moment yet.
    expect(judge.judge({ running: true, activity: inRecv(1, 0, 0) }, 7_000)).toBeUndefined();
    judge.heartbeat(1, 11_000, inRecv(0, 0, 0));
    judge.heartbeat(1, 16_000, inRecv(0, 0, 0));
    expect(judge.judge({ running: true, activity: inRecv(1, 0, 0) }, 16_500)).toHaveLength(2);
  });

  it('counts ranks that reported done with their final counts, and judges nothing when a report carries none', () => {
    const judge = new DeadlockJudge(3);
    const own: OwnActivity = { running: false, activity: { sent: 1, taken: 1 } };
    judge.workerDone(2, { sent: 1, taken: 1 });
    judge.judge(own, 0);
    judge.heartbeat(1, 1_000, inRecv(2, 1, 1));
    judge.heartbeat(1, 6_000, inRecv(2, 1, 1));
    expect(judge.judge(own, 7_000)).toEqual([{ rank: 1, operation: 'recv', source: 2, tag: 0, peer: 2 }]);
    const older = new DeadlockJudge(3);
    older.workerDone(2, undefined);
    older.judge(own, 0);
    older.heartbeat(1, 1_000, inRecv(2, 1, 1));
    older.heartbeat(1, 6_000, inRecv(2, 1, 1));
    expect(older.judge(own, 7_000)).toBeUndefined();
  });
});
