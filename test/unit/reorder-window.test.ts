import { describe, expect, it } from 'vitest';
import { defineProgram, runLocal } from '../../src/index.ts';
import { encode } from '../../src/mpi/codec/codec.ts';
import { InOrderReceiver, REORDER_WINDOW } from '../../src/mpi/p2p/link.ts';
import { ForwardingTransport } from '../../src/transport/forwarding-transport.ts';
import type { Delivery, Frame } from '../../src/transport/transport.ts';

function dataFrame(source: number, seq: number): Frame {
  return { kind: 'data', source, dest: 1, seq, context: 'w', tag: 0, body: encode(seq) };
}

describe('the reorder buffer holds at most REORDER_WINDOW frames ahead of a gap, per source', () => {
  it('holds frames up to the window, refuses those beyond it, and takes them once the gap closes', () => {
    const delivered: number[] = [];
    const link = new InOrderReceiver(3, (frame) => delivered.push(frame.seq));
    const verdicts: Delivery[] = [];
    for (let seq = 1; seq <= REORDER_WINDOW + 2; seq++) verdicts.push(link.accept(dataFrame(0, seq)));
    expect(verdicts.filter((v) => v === 'later')).toHaveLength(2);
    expect(link.stats).toMatchObject({ mostHeld: REORDER_WINDOW, beyondWindow: 2 });
    expect(delivered).toEqual([]);
    // Another source has a window of its own.
    expect(link.accept(dataFrame(2, 5))).toBe('taken');

    expect(link.accept(dataFrame(0, 0))).toBe('taken');
    expect(delivered).toHaveLength(REORDER_WINDOW + 1);
    // The refused ones, brought again, are now next.
    expect(link.accept(dataFrame(0, REORDER_WINDOW + 1))).toBe('taken');
    expect(link.accept(dataFrame(0, REORDER_WINDOW + 2))).toBe('taken');
    expect(delivered).toEqual(Array.from({ length: REORDER_WINDOW + 3 }, (_, seq) => seq));
  });
});

/** Delivers, before anything real, `count` frames "from rank 0" numbered far ahead of anything it will send. */
class FloodedTransport extends ForwardingTransport {
  constructor(inner: ConstructorParameters<typeof ForwardingTransport>[0], private readonly count: number) {
    super(inner);
  }

  override start(deliver: (frame: Frame) => Delivery, onError: (error: Error) => void): void {
    const body = encode('forged');
    for (let i = 0; i < this.count; i++) deliver({ kind: 'data', source: 0, dest: this.rank, seq: 1_000_000 + i, context: 'w', tag: 0, body });
    super.start(deliver, onError);
  }
}

describe('a flood of frames far ahead on a running job (memory transport: no authentication, only the window)', () => {
  it('holds none of 100,000 frames far ahead, and the job gets its true values', async () => {
    const FLOOD = 100_000;
    const program = defineProgram(async (comm) => {
      if (comm.rank === 0) {
        for (let i = 0; i < 100; i++) await comm.send(i, 1);
        return 'sent';
      }
      const got: number[] = [];
      for (let i = 0; i < 100; i++) got.push(await comm.recv<number>(0));
      return got;
    });
    const r = await runLocal(program, {
      size: 2,
      wrapTransport: (transport, rank) => (rank === 1 ? new FloodedTransport(transport, FLOOD) : transport),
    });
    expect(r.results[1]).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(r.link.beyondWindow).toBe(FLOOD);
    expect(r.link.mostHeld).toBe(0);
  });
});
