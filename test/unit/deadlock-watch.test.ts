import { describe, expect, it } from 'vitest';
import { ANY_SOURCE } from '../../src/index.ts';
import { DeadlockWatch, STEADY_MS } from '../../src/runtime/deadlock-watch.ts';
import { WaitBoard } from '../../src/runtime/threads/wait-board.ts';

/** Rank `rank` blocked in recv from `peer` (world ranks, tag 0). */
function waitsOn(board: WaitBoard, rank: number, peer: number): void {
  board.write(rank, { operation: 'recv', source: peer, tag: 0, ...(peer === ANY_SOURCE ? {} : { peer }) });
}

/** What the watch says at each of `times` (ms), in order. */
function named(watch: DeadlockWatch, times: number[]): boolean[] {
  return times.map((at) => watch.check(at) !== undefined);
}

describe('the deadlock watch over a wait board', () => {
  it('names ranks that all wait on each other with nothing in flight, once that held for its steady time', () => {
    const board = WaitBoard.create(2, false);
    waitsOn(board, 0, 1);
    waitsOn(board, 1, 0);
    const watch = new DeadlockWatch(board);
    expect(named(watch, [0, STEADY_MS - 1, STEADY_MS])).toEqual([false, false, true]);
    expect(watch.check(STEADY_MS)).toEqual([
      { rank: 0, operation: 'recv', source: 1, tag: 0, peer: 1 },
      { rank: 1, operation: 'recv', source: 0, tag: 0, peer: 0 },
    ]);
  });

  it('never names ranks while a frame sent to one of them has not been handed up to it', () => {
    const board = WaitBoard.create(2, false);
    waitsOn(board, 0, 1);
    waitsOn(board, 1, 0);
    board.sentTo(1);
    const watch = new DeadlockWatch(board);
    expect(named(watch, [0, STEADY_MS, 10 * STEADY_MS])).toEqual([false, false, false]);
    // Handed up, and it did not match rank 1's receive: now nothing can move.
    board.took(1);
    expect(named(watch, [11 * STEADY_MS, 12 * STEADY_MS])).toEqual([false, true]);
  });

  it('never names ranks while one of them runs outside any call (it may still send)', () => {
    const board = WaitBoard.create(3, false);
    waitsOn(board, 0, 2);
    waitsOn(board, 1, 2);
    board.write(2, undefined);
    const watch = new DeadlockWatch(board);
    expect(named(watch, [0, STEADY_MS, 10 * STEADY_MS])).toEqual([false, false, false]);
  });

  it('starts over when anything moves meanwhile: a frame, or a wait that changed', () => {
    const board = WaitBoard.create(2, false);
    waitsOn(board, 0, 1);
    waitsOn(board, 1, 0);
    const watch = new DeadlockWatch(board);
    expect(watch.check(0)).toBeUndefined();
    board.sentTo(0);
    board.took(0);
    waitsOn(board, 0, 1);
    expect(named(watch, [STEADY_MS, 2 * STEADY_MS - 1, 2 * STEADY_MS])).toEqual([false, false, true]);
  });

  it('leaves out ranks whose program ended, and frames sent to them that nobody will take', () => {
    const board = WaitBoard.create(3, false);
    waitsOn(board, 0, ANY_SOURCE);
    board.ended(1);
    board.sentTo(1);
    board.ended(2);
    const watch = new DeadlockWatch(board);
    expect(named(watch, [0, STEADY_MS])).toEqual([false, true]);
    expect(watch.check(STEADY_MS)).toEqual([{ rank: 0, operation: 'recv', source: ANY_SOURCE, tag: 0 }]);
  });

  it('does not count a rank waiting for its standard send to be stored as blocked', () => {
    const board = WaitBoard.create(2, false);
    board.write(0, { operation: 'isend', source: 1, tag: 0, peer: 1 });
    waitsOn(board, 1, 0);
    const watch = new DeadlockWatch(board);
    expect(named(watch, [0, STEADY_MS, 10 * STEADY_MS])).toEqual([false, false, false]);
  });

  it('names nothing when every rank has ended', () => {
    const board = WaitBoard.create(2, false);
    board.ended(0);
    board.ended(1);
    const watch = new DeadlockWatch(board);
    expect(named(watch, [0, STEADY_MS, 10 * STEADY_MS])).toEqual([false, false, false]);
  });
});
