import { describe, expect, it } from 'vitest';
import { ANY_SOURCE, ANY_TAG, defineProgram } from '../../src/index.ts';
import { runOn, type ConformanceTarget } from './target.ts';

export function pointToPointCases(target: ConformanceTarget): void {
  describe(`point-to-point over ${target.name}`, () => {
    for (const size of target.sizes) {
      it(`passes a token around a ring of ${size}`, async () => {
        const ring = defineProgram(async (comm) => {
          const right = (comm.rank + 1) % comm.size;
          const left = (comm.rank - 1 + comm.size) % comm.size;
          if (comm.rank === 0) {
            await comm.send([0], right, 3);
            return comm.recv<number[]>(left, 3);
          }
          const trail = await comm.recv<number[]>(left, 3);
          await comm.send([...trail, comm.rank], right, 3);
          return trail.length;
        });
        const r = await runOn(target, ring, { size });
        expect(r.result).toEqual(Array.from({ length: size }, (_, i) => i));
        expect(r.results.slice(1)).toEqual(Array.from({ length: size - 1 }, (_, i) => i + 1));
      });

      it(`ANY_SOURCE takes messages in the order they arrived, with the true source and tag, on ${size} ranks`, async () => {
        // Rank 0 lets one sender at a time send and waits until that message is there, so the
        // arrival order is known: odd ranks first, then even ones, neither ascending nor descending.
        const senders = Array.from({ length: size - 1 }, (_, i) => i + 1);
        const arrivalOrder = [...senders.filter((r) => r % 2 === 1), ...senders.filter((r) => r % 2 === 0)];
        const program = defineProgram(async (comm, order: number[]) => {
          if (comm.rank !== 0) {
            await comm.recv(0, 1);
            await comm.send({ from: comm.rank }, 0, 100 + comm.rank);
            return undefined;
          }
          for (const sender of order) {
            await comm.send('go', sender, 1);
            await comm.probe(sender, 100 + sender);
          }
          const first = order.length > 0 ? await comm.probe(ANY_SOURCE, ANY_TAG) : undefined;
          const got: Array<[number, number, number]> = [];
          for (let i = 0; i < order.length; i++) {
            const m = await comm.recvMessage<{ from: number }>(ANY_SOURCE, ANY_TAG);
            got.push([m.source, m.tag, m.value.from]);
          }
          return { first: first?.source, got };
        });
        const r = await runOn(target, program, { size, input: arrivalOrder });
        expect(r.result).toEqual({ first: arrivalOrder[0], got: arrivalOrder.map((s) => [s, 100 + s, s]) });
      });
    }

    it('keeps order per (source, tag) for many messages with mixed tags and ANY_SOURCE (non-overtaking)', async () => {
      const size = Math.min(7, Math.max(...target.sizes));
      const perSender = 60;
      const program = defineProgram(async (comm) => {
        if (comm.rank !== 0) {
          const sends: Promise<void>[] = [];
          for (let i = 0; i < perSender; i++) sends.push(comm.send({ i, from: comm.rank }, 0, i % 3));
          await Promise.all(sends);
          return undefined;
        }
        // Tag 2 first by tag (it must skip over tags 0 and 1 without disturbing their order),
        // then everything else from ANY_SOURCE/ANY_TAG.
        const lastSeen = new Map<string, number>();
        const violations: string[] = [];
        const note = (source: number, tag: number, i: number) => {
          const key = `${source}/${tag}`;
          if ((lastSeen.get(key) ?? -1) >= i) violations.push(`${key}: ${i} after ${lastSeen.get(key)}`);
          lastSeen.set(key, i);
        };
        const total = (comm.size - 1) * perSender;
        const tag2 = (comm.size - 1) * Math.ceil((perSender - 2) / 3);
        for (let k = 0; k < tag2; k++) {
          const m = await comm.recvMessage<{ i: number; from: number }>(ANY_SOURCE, 2);
          if (m.tag !== 2 || m.value.from !== m.source) violations.push(`bad envelope ${JSON.stringify(m)}`);
          note(m.source, m.tag, m.value.i);
        }
        for (let k = tag2; k < total; k++) {
          const m = await comm.recvMessage<{ i: number; from: number }>();
          note(m.source, m.tag, m.value.i);
        }
        return { violations, received: [...lastSeen.keys()].length };
      });
      const r = await runOn(target, program, { size });
      expect(r.result).toEqual({ violations: [], received: (size - 1) * 3 });
    });

    it('matches by tag: a receive for a later tag skips earlier messages, which stay for their own receives', async () => {
      const program = defineProgram(async (comm) => {
        if (comm.rank === 0) {
          await comm.send('a', 1, 1);
          await comm.send('b', 1, 2);
          await comm.send('c', 1, 1);
          return undefined;
        }
        if (comm.rank === 1) return [await comm.recv(0, 2), await comm.recv(0, 1), await comm.recv(0, ANY_TAG)];
        return undefined;
      });
      const r = await runOn(target, program, { size: 2 });
      expect(r.results[1]).toEqual(['b', 'a', 'c']);
    });

    it('sendrecv shifts values around a ring without deadlock', async () => {
      const size = Math.min(16, Math.max(...target.sizes));
      const program = defineProgram(async (comm) => {
        const right = (comm.rank + 1) % comm.size;
        const left = (comm.rank - 1 + comm.size) % comm.size;
        return comm.sendrecv(`from ${comm.rank}`, right, left, 7, 7);
      });
      const r = await runOn(target, program, { size });
      expect(r.results).toEqual(Array.from({ length: size }, (_, i) => `from ${(i - 1 + size) % size}`));
    });

    it('probe describes the next message without receiving it; iprobe answers undefined when none is there', async () => {
      const program = defineProgram(async (comm) => {
        if (comm.rank === 0) {
          await comm.recv(1, 9); // wait until rank 1 has checked that nothing is there
          await comm.send(new Float64Array(10), 1, 4);
          return undefined;
        }
        const before = await comm.iprobe(0, 4);
        await comm.send('go', 0, 9);
        const seen = await comm.probe(ANY_SOURCE, ANY_TAG);
        const again = await comm.iprobe(0, 4);
        const value = await comm.recv<Float64Array>(0, 4);
        const after = await comm.iprobe(0, 4);
        return { before, seen, again, length: value.length, after };
      });
      const r = await runOn(target, program, { size: 2 });
      expect(r.results[1]).toEqual({
        before: undefined,
        seen: { source: 0, tag: 4, bytes: 80 },
        again: { source: 0, tag: 4, bytes: 80 },
        length: 10,
        after: undefined,
      });
    });

    it(`carries a ${target.largeMessageBytes / 2 ** 20} MiB TypedArray intact`, async () => {
      const program = defineProgram(async (comm, bytes: number) => {
        const n = bytes / 4;
        if (comm.rank === 0) {
          const data = new Uint32Array(n);
          for (let i = 0; i < n; i++) data[i] = (i * 2654435761) >>> 0;
          await comm.send(data, 1);
          return undefined;
        }
        const data = await comm.recv<Uint32Array>(0);
        let bad = 0;
        for (let i = 0; i < n; i++) if (data[i] !== (i * 2654435761) >>> 0) bad++;
        return { type: data.constructor.name, length: data.length, bad };
      });
      const r = await runOn(target, program, { size: 2, input: target.largeMessageBytes, timeoutMs: 120_000 });
      expect(r.results[1]).toEqual({ type: 'Uint32Array', length: target.largeMessageBytes / 4, bad: 0 });
    }, 180_000);

    it('lets the sender change its buffer as soon as send resolves, without the receiver seeing it', async () => {
      const program = defineProgram(async (comm) => {
        if (comm.rank === 0) {
          const buffer = Int32Array.of(1, 2, 3);
          const object = { list: [1, 2, 3] };
          await comm.send(buffer, 1);
          await comm.send(object, 1);
          buffer.fill(-1);
          object.list.push(99);
          await comm.send('sent after the change', 1);
          return undefined;
        }
        const buffer = await comm.recv<Int32Array>(0);
        const object = await comm.recv(0);
        await comm.recv(0);
        return { buffer: Array.from(buffer), object };
      });
      const r = await runOn(target, program, { size: 2 });
      expect(r.results[1]).toEqual({ buffer: [1, 2, 3], object: { list: [1, 2, 3] } });
    });

    it('delivers a message sent to oneself', async () => {
      const program = defineProgram(async (comm) => {
        await comm.send({ me: comm.rank }, comm.rank, 5);
        return comm.recv(comm.rank, 5);
      });
      const r = await runOn(target, program, { size: 2 });
      expect(r.results).toEqual([{ me: 0 }, { me: 1 }]);
    });
  });
}
