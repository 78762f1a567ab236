import { describe, expect, it } from 'vitest';
import { grouped, rankCount } from '../../src/report/grouped.ts';

describe('grouped', () => {
  it("writes integers as toLocaleString('en-US') does, and leaves other numbers to it", () => {
    const values = [0, 7, -7, 12, 999, 1000, -1000, 1001, 99_999, 100_000, 1_234_567, -1_234_567, Number.MAX_SAFE_INTEGER, 2.5, 1234.5678, -0];
    for (const value of values) expect(grouped(value), String(value)).toBe(value.toLocaleString('en-US'));
  });

  it('counts ranks in the singular for one only', () => {
    expect([0, 1, 2, 1000].map(rankCount)).toEqual(['0 ranks', '1 rank', '2 ranks', '1,000 ranks']);
  });
});
