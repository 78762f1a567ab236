import { describe, expect, it } from 'vitest';
import { PARALLEL_READ_BYTES, PARALLEL_READS, mergeReads, readRange } from '../../src/file/read-plan.ts';

/** A read function over a virtual object whose byte i is i mod 251, with the GETs noted. */
function virtualObject() {
  const gets: Array<[number, number]> = [];
  const read = async (offset: number, length: number) => {
    gets.push([offset, length]);
    const bytes = new Uint8Array(length);
    for (let i = 0; i < length; i++) bytes[i] = (offset + i) % 251;
    return bytes;
  };
  return { gets, read };
}

describe('how reads become requests', () => {
  it('a long range is four GETs at once, each a quarter, whose bytes land in place', async () => {
    const { gets, read } = virtualObject();
    const length = PARALLEL_READ_BYTES + 3;
    const bytes = await readRange(read, 1000, length);
    expect(gets).toHaveLength(PARALLEL_READS);
    expect(gets.reduce((sum, [, count]) => sum + count, 0)).toBe(length);
    let wrong = -1;
    for (let i = 0; i < length && wrong < 0; i++) if (bytes[i] !== (1000 + i) % 251) wrong = i;
    expect(wrong).toBe(-1);
  });

  it('a shorter range is one GET', async () => {
    const { gets, read } = virtualObject();
    await readRange(read, 5, PARALLEL_READ_BYTES - 1);
    expect(gets).toEqual([[5, PARALLEL_READ_BYTES - 1]]);
  });

  it('a collective read merges small touching ranges, not big ones nor ranges with a gap', () => {
    const groups = mergeReads([
      { rank: 0, offset: 0, length: 100 }, { rank: 1, offset: 100, length: 100 }, { rank: 2, offset: 150, length: 10 },
      { rank: 3, offset: 300, length: 10 },
      { rank: 4, offset: 310, length: 2 * 1024 * 1024 },
    ]);
    expect(groups.map((group) => [group.reader, group.offset, group.length, group.members.map((member) => member.rank)])).toEqual([
      [0, 0, 200, [0, 1, 2]],
      [3, 300, 10, [3]],
      [4, 310, 2 * 1024 * 1024, [4]],
    ]);
  });
});
