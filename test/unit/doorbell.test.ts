import { describe, expect, it } from 'vitest';
import { Doorbells } from '../../src/transport/threads/doorbell.ts';

describe('Doorbells (how a sender wakes a rank in another thread)', () => {
  it('asks for a message to the event loop only of a receiver that does not watch its bell', () => {
    const doorbells = new Doorbells(Doorbells.memoryFor(3));
    expect(doorbells.ring(2, false)).toBe(true);
    doorbells.watch(2);
    expect(doorbells.ring(2, false)).toBe(false);
    expect(doorbells.ring(1, false)).toBe(true);
    doorbells.stopWatching(2);
    expect(doorbells.ring(2, false)).toBe(true);
  });

  it('counts every ring on the bell, and those by a port apart', () => {
    const doorbells = new Doorbells(Doorbells.memoryFor(2));
    doorbells.ring(0, false);
    doorbells.ring(0, true);
    doorbells.ring(1, true);
    expect([doorbells.bell(0), doorbells.portBell(0), doorbells.bell(1), doorbells.portBell(1)]).toEqual([2, 1, 1, 1]);
  });
});
