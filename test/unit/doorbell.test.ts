import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { Doorbells } from '../../src/transport/threads/doorbell.ts';

/** Far longer than the test may take: a receiver that sleeps it out was never woken. */
const LONG_SLICE_MS = 20_000;

describe('Doorbells (how a sender wakes a rank in another thread)', () => {
  it('wakes a receiver that sleeps on its bell', async () => {
    const size = 2;
    const memory = Doorbells.memoryFor(size);
    const sender = new Doorbells(memory, size);
    const receiver = new Worker(new URL('./doorbell-sleeper.mjs', import.meta.url), {
      workerData: { memory, size, rank: 1, sliceMs: LONG_SLICE_MS },
    });
    try {
      const said: string[] = [];
      const answered = new Promise<void>((resolve, reject) => {
        receiver.on('error', reject);
        receiver.on('message', (message: string) => {
          said.push(message);
          if (message !== 'watching') resolve();
        });
      });
      while (!sender.sleeping(1)) await new Promise((resolve) => setTimeout(resolve, 5));
      // Past the state, into Atomics.wait itself: a ring before it would not need the wake-up.
      await new Promise((resolve) => setTimeout(resolve, 100));
      sender.ring(1, false);
      await answered;
      expect(said).toEqual(['watching', 'ok']);
    } finally {
      await receiver.terminate();
    }
  });

  it('asks for a message to the event loop only of a receiver that neither watches its bell nor sleeps on it', () => {
    const doorbells = new Doorbells(Doorbells.memoryFor(3), 3);
    expect(doorbells.ring(2, false)).toBe(true);
    doorbells.watch(2);
    expect(doorbells.ring(2, false)).toBe(false);
    expect(doorbells.ring(1, false)).toBe(true);
    doorbells.stopWatching(2);
    expect(doorbells.ring(2, false)).toBe(true);
  });

  it('counts every ring on the bell, and those by a port apart', () => {
    const doorbells = new Doorbells(Doorbells.memoryFor(2), 2);
    doorbells.ring(0, false);
    doorbells.ring(0, true);
    doorbells.ring(1, true);
    expect([doorbells.bell(0), doorbells.portBell(0), doorbells.bell(1), doorbells.portBell(1)]).toEqual([2, 1, 1, 1]);
  });

  it('does not sleep through a ring that came before the sleep', () => {
    const doorbells = new Doorbells(Doorbells.memoryFor(1), 1);
    const seen = doorbells.bell(0);
    doorbells.watch(0);
    doorbells.ring(0, false);
    // Returns at once: the bell moved from what the receiver saw.
    expect(doorbells.sleep(0, seen, LONG_SLICE_MS)).toBe('not-equal');
    expect(doorbells.bell(0)).not.toBe(seen);
    // Awake again, and watching: senders still need not wake it.
    expect(doorbells.ring(0, false)).toBe(false);
  });
});
