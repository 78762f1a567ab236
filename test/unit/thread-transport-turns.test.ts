import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { InProcessValue } from '../../src/mpi/codec/codec.ts';
import { Doorbells } from '../../src/transport/threads/doorbell.ts';
import { FrameRing, createRingMemory } from '../../src/transport/threads/frame-ring.ts';
import { ThreadTransport } from '../../src/transport/threads/thread-transport.ts';
import type { Frame } from '../../src/transport/transport.ts';

const WAIT = { operation: 'recv', source: 1, tag: 0, peer: 1 };
/** Far more waits in a row than a run of them may go without the event loop. */
const FRAMES = 50_000;

describe('ThreadTransport while its rank waits and its peer always answers at once', () => {
  it('lets the event loop run (timers, the control port) within a long run of waits that each poll from a microtask', async () => {
    const doorbellMemory = Doorbells.memoryFor(2);
    const incoming = createRingMemory();
    const channel = new MessageChannel();
    const transport = new ThreadTransport({ rank: 0, size: 2, doorbells: doorbellMemory, requestPeer: () => undefined, spinMs: 50 });
    transport.addPeer(1, channel.port1, createRingMemory(), incoming);
    // The peer, played here: its next frame is in the ring before each wait begins, so every poll catches it.
    const peerRing = new FrameRing(incoming);
    const bells = new Doorbells(doorbellMemory, 2);
    const peerSends = (seq: number) => {
      const frame: Frame = { kind: 'data', source: 1, dest: 0, seq, context: 'w', tag: 0, body: new InProcessValue(seq) };
      if (!peerRing.tryWrite(frame)) throw new Error('the ring refused a small frame');
      if (bells.ring(0, false)) channel.port2.postMessage(0);
    };
    let delivered = 0;
    let deliveredWhenTimerRan: number | undefined;
    const done = new Promise<void>((resolve) => {
      transport.start(() => {
        delivered++;
        transport.rankWaits(undefined);
        if (delivered === FRAMES) return resolve();
        peerSends(delivered);
        transport.rankWaits(WAIT);
      });
    });
    setTimeout(() => (deliveredWhenTimerRan = delivered), 0);
    peerSends(0);
    transport.rankWaits(WAIT);
    await done;
    await transport.close();
    channel.port1.close();
    expect(delivered).toBe(FRAMES);
    expect(deliveredWhenTimerRan).toBeLessThan(FRAMES);
  });
});
