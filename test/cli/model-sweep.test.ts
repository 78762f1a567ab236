import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/command.ts';
import { parseSizes, sweepTable } from '../../src/cli/model-sweep.ts';
import { lambdaMpi } from './run-cli.ts';

describe('lambda-mpi model --sizes', () => {
  it('models each size in turn with a progress line each; --json is an array of the per-size objects, a failed size says why and the others go on (exit 1)', async () => {
    const r = await lambdaMpi('model', 'hello', '--sizes', '3,20,2', '--concurrency', '10', '--json');
    expect(r.code, r.stderr).toBe(1);
    const sizes = JSON.parse(r.stdout);
    expect(sizes.map((s: { size: number }) => s.size)).toEqual([3, 20, 2]);
    for (const index of [0, 2]) {
      const s = sizes[index];
      // Every field of `model --json`, as for one size.
      expect(Object.keys(s)).toEqual(expect.arrayContaining(['size', 'startupSeconds', 'runSeconds', 'cleanupSeconds', 'totalSeconds', 'collectives', 'pointToPoint', 'requests', 'sqsBilledRequests', 'costUsd', 'cost', 'assumptions']));
      expect(s.requests.lambdaInvoke).toBe(s.size - 1);
      expect(s.trace).toBeUndefined();
    }
    expect(sizes[1]).toMatchObject({ size: 20, failed: true, error: { message: expect.stringMatching(/needs one concurrent Lambda execution per rank, and the account has 10 free/) } });
    expect(r.stderr).toMatch(/^lambda-mpi: \[1\/3\] 3 ranks: modeling…$/m);
    expect(r.stderr).toMatch(/^lambda-mpi: \[2\/3\] 20 ranks: failed: .*the account has 10 free/m);
    expect(r.stderr).toMatch(/^lambda-mpi: \[3\/3\] 2 ranks: [\d.]+ s, \$[\d.e-]+$/m);
  });

  it('prints one table: a row per size in the order given, the cheapest and the fastest marked, a failed size with why in its row', async () => {
    const r = await lambdaMpi('model', 'pi', '--sizes', '4,40,1,2', '--concurrency', '10', '--input', '{"samples":20000}');
    expect(r.code, r.stderr).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^pi on modeled Lambdas \(1024 MB, warm; AWS figures as of \d{4}-\d\d-\d\d\)$/);
    expect(lines[1]!.trim().split(/\s{2,}/)).toEqual(['ranks', 'start-up', 'run', 'clean-up', 'total', 'reduce', 'p2p', 'requests', 'cost']);
    const rows = lines.slice(2);
    expect(rows.map((row) => Number(row.trim().split(/\s+/)[0]))).toEqual([4, 40, 1, 2]);
    expect(rows[1]).toMatch(/^ +40 +failed: .*the account has 10 free/);
    const ran = [rows[0]!, rows[2]!, rows[3]!].map((row) => {
      const cells = row.trim().split(/\s{2,}/);
      return { total: Number(cells[4]!.replace(' s', '')), cost: Number(cells[8]!.replace('$', '')), marks: cells[9] ?? '' };
    });
    const cheapest = ran.filter((row) => row.marks.includes('cheapest'));
    const fastest = ran.filter((row) => row.marks.includes('fastest'));
    expect(cheapest).toHaveLength(1);
    expect(fastest).toHaveLength(1);
    expect(cheapest[0]!.cost).toBe(Math.min(...ran.map((row) => row.cost)));
    expect(fastest[0]!.total).toBe(Math.min(...ran.map((row) => row.total)));
  });

  it('refuses -n with --sizes, and a bad list, before anything runs (exit 2)', async () => {
    const both = await lambdaMpi('model', 'hello', '-n', '4', '--sizes', '4,8');
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/-n and --sizes exclude each other/);
    const bad = await lambdaMpi('model', 'hello', '--sizes', '4,0');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--sizes must be a comma-separated list of rank counts, each a whole number in 1\.\.10000 \(e\.g\. --sizes 16,64,256,1000\); "0" is not/);
    expect(bad.stdout).toBe('');
  });

  it.each([
    ['', /received ""/],
    ['4,,8', /received "4,,8"/],
    ['16,abc', /"abc" is not/],
    ['10001', /"10001" is not/],
    ['2.5', /"2\.5" is not/],
    ['-4', /"-4" is not/],
    ['8,8', /--sizes lists 8 twice; give each size once/],
  ])('refuses --sizes %j, saying what is allowed', (text, message) => {
    expect(() => parseSizes(text)).toThrow(UsageError);
    expect(() => parseSizes(text)).toThrow(message);
  });

  it("keeps a failed size's reason to one short line in the table (a timeout of 1,000 ranks names each of them)", () => {
    const reason = `job x timed out after 300000 ms; ranks still running: ${Array.from({ length: 1000 }, (_, rank) => `rank ${rank} is running outside any communication call`).join('; ')}`;
    const [, row] = sweepTable([{ size: 1000, error: new Error(`${reason}\nsecond line`) }]).split('\n');
    expect(row).toMatch(/^1,000 +failed: job x timed out after 300000 ms; ranks still running: rank 0 is running .*…$/);
    expect(row!.length).toBeLessThan(300);
  });

  it('takes any list of sizes in 1..10000, in the order given', () => {
    expect(parseSizes('16,64, 256,1000')).toEqual([16, 64, 256, 1000]);
    expect(parseSizes('10000,1')).toEqual([10000, 1]);
  });
});
