import { describe, expect, it } from 'vitest';
import * as p2p from './programs/p2p.ts';
import { runOn, type ConformanceTarget } from './target.ts';

export function pointToPointCases(target: ConformanceTarget): void {
  describe(`point-to-point over ${target.name}`, () => {
    for (const size of target.sizes) {
      it(`passes a token around a ring of ${size}`, async () => {
        const r = await runOn(target, p2p.ring, { size });
        expect(r.result).toEqual(Array.from({ length: size }, (_, i) => i));
        expect(r.results.slice(1)).toEqual(Array.from({ length: size - 1 }, (_, i) => i + 1));
      });

      it(`ANY_SOURCE takes messages in the order they arrived, with the true source and tag, on ${size} ranks`, async () => {
        // Rank 0 lets one sender at a time send and waits until that message is there, so the
        // arrival order is known: odd ranks first, then even ones, neither ascending nor descending.
        const senders = Array.from({ length: size - 1 }, (_, i) => i + 1);
        const arrivalOrder = [...senders.filter((r) => r % 2 === 1), ...senders.filter((r) => r % 2 === 0)];
        const r = await runOn(target, p2p.anySourceInArrivalOrder, { size, input: arrivalOrder });
        expect(r.result).toEqual({ first: arrivalOrder[0], got: arrivalOrder.map((s) => [s, 100 + s, s]) });
      });
    }

    it('keeps order per (source, tag) for many messages with mixed tags and ANY_SOURCE (non-overtaking)', async () => {
      const size = Math.min(7, Math.max(...target.sizes));
      const r = await runOn(target, p2p.nonOvertaking, { size });
      expect(r.result).toEqual({ violations: [], received: (size - 1) * 3 });
    });

    it('matches by tag: a receive for a later tag skips earlier messages, which stay for their own receives', async () => {
      const r = await runOn(target, p2p.matchByTag, { size: 2 });
      expect(r.results[1]).toEqual(['b', 'a', 'c']);
    });

    it('sendrecv shifts values around a ring without deadlock', async () => {
      const size = Math.min(16, Math.max(...target.sizes));
      const r = await runOn(target, p2p.sendrecvRing, { size });
      expect(r.results).toEqual(Array.from({ length: size }, (_, i) => `from ${(i - 1 + size) % size}`));
    });

    it('probe describes the next message without receiving it; iprobe answers undefined when none is there', async () => {
      const r = await runOn(target, p2p.probeAndIprobe, { size: 2 });
      expect(r.results[1]).toEqual({
        before: undefined,
        seen: { source: 0, tag: 4, bytes: 80 },
        again: { source: 0, tag: 4, bytes: 80 },
        length: 10,
        after: undefined,
      });
    });

    it(`carries a ${target.largeMessageBytes / 2 ** 20} MiB TypedArray intact`, async () => {
      const r = await runOn(target, p2p.largeTypedArray, { size: 2, input: target.largeMessageBytes, timeoutMs: 120_000 });
      expect(r.results[1]).toEqual({ type: 'Uint32Array', length: target.largeMessageBytes / 4, bad: 0 });
    }, 180_000);

    it('lets the sender change its buffer as soon as send resolves, without the receiver seeing it', async () => {
      const r = await runOn(target, p2p.senderReusesBuffer, { size: 2 });
      expect(r.results[1]).toEqual({ buffer: [1, 2, 3], object: { list: [1, 2, 3] } });
    });

    it('delivers a message sent to oneself', async () => {
      const r = await runOn(target, p2p.sendToSelf, { size: 2 });
      expect(r.results).toEqual([{ me: 0 }, { me: 1 }]);
    });
  });
}
