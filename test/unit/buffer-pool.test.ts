import { describe, expect, it } from 'vitest';
import { recycle, takeBuffer } from '../../src/mpi/codec/buffer-pool.ts';

const MiB = 2 ** 20;

describe('buffer pool', () => {
  it('a buffer given back is taken again for its size, once, and not for another size', () => {
    const given = takeBuffer(3000);
    recycle(given);
    expect(takeBuffer(3001).buffer).not.toBe(given.buffer);
    const again = takeBuffer(3000);
    expect(again.buffer).toBe(given.buffer);
    expect(takeBuffer(3000).buffer).not.toBe(given.buffer);
  });

  it('past its cap, a large buffer given back is held weakly: taken again while it lives', () => {
    // Fill the pool to its cap (128 MiB) exactly, with buffers of a size nothing else here takes.
    const filling = Array.from({ length: 16 }, () => takeBuffer(8 * MiB));
    for (const buffer of filling) recycle(buffer);
    const late = takeBuffer(2 * MiB);
    recycle(late);
    // `late` is still referenced here, so the collector cannot have taken it.
    expect(takeBuffer(2 * MiB).buffer).toBe(late.buffer);
    expect(takeBuffer(2 * MiB).buffer).not.toBe(late.buffer);
  });
});
