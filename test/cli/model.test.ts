import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { lambdaMpi } from './run-cli.ts';

describe('lambda-mpi model', () => {
  it('prints one JSON object with --json: times, collectives, requests and cost', async () => {
    const r = await lambdaMpi('model', 'vector-allreduce', '-n', '6', '--input', '{"length":20000}', '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({
      size: 6,
      collectives: { allreduce: { calls: 1, seconds: expect.any(Number) } },
      requests: { sqs: expect.any(Number), s3Put: expect.any(Number), s3Get: expect.any(Number), lambdaInvoke: 5 },
      result: { length: 20000 },
    });
    expect(report.startupSeconds + report.runSeconds + report.cleanupSeconds).toBeCloseTo(report.totalSeconds, 9);
    expect(report.costUsd).toBeCloseTo(report.cost.lambda + report.cost.sqs + report.cost.s3, 12);
  });

  it('prints a table by default', async () => {
    const r = await lambdaMpi('model', 'hello', '-n', '3');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^hello on 3 modeled Lambdas \(1024 MB, warm; AWS figures as of \d{4}-\d\d-\d\d\)$/m);
    for (const row of ['start-up', 'run', 'cleanup', 'total', 'requests', 'cost']) expect(r.stdout).toMatch(new RegExp(`^  ${row} `, 'm'));
  });

  it('prints each rank\'s point-to-point time, collectives and the rest, adding up to the run', async () => {
    const r = await lambdaMpi('model', 'test/fixtures/ring-sendrecv.ts', '-n', '3');
    expect(r.code).toBe(0);
    const run = Number(/^ {2}run +(\d+\.\d+) s/m.exec(r.stdout)?.[1]);
    const splits = [...r.stdout.matchAll(/^ {2}rank (\d+) +(\d+\.\d+) s \+ (\d+\.\d+) s \+ (\d+\.\d+) s = (\d+\.\d+) s$/gm)];
    expect(splits.map((m) => Number(m[1]))).toEqual([0, 1, 2]);
    for (const [, , p2p, collectives, rest, total] of splits) {
      expect(Number(p2p)).toBeGreaterThan(0);
      expect(Number(total)).toBe(run);
      // Rounded to the millisecond each, so they add up within a few.
      expect(Math.abs(Number(p2p) + Number(collectives) + Number(rest) - run)).toBeLessThanOrEqual(0.002);
    }
  });

  it('times out a stuck program in modeled time and names the rank, with exit code 1', async () => {
    const r = await lambdaMpi('model', 'test/fixtures/stuck-rank.ts', '-n', '2', '--timeout', '600');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/timed out after 600000 ms; ranks still running: rank 1 waits in recv, source 0, tag 5/);
  });

  it.each([
    [['model', 'hello', '-n', '10001'], /-n must be a number of ranks in 1\.\.10000; received 10001/],
    [['model', 'hello', '-n', '5000'], /needs one concurrent Lambda execution per rank, and the account has 1000 free/],
    [['model', 'hello', '-n', '20', '--concurrency', '10'], /the account has 10 free/],
    [['model', 'hello'], /missing -n <ranks>/],
    [['model', 'hello', '-n', 'abc'], /-n must be a whole number of ranks; received "abc"/],
    [['model', 'hello', '-n', '2', '--timeout', '0'], /--timeout must be a positive number of seconds; received "0"/],
    [['model', 'hello', '-n', '2', '--input', '{bad'], /--input must be JSON/],
    [['model', 'hello', '-n', '2', '--memory', '64'], /--memory must be an integer number of MB in 128\.\.10240/],
    [['model', 'hello', '-n', '2', '--payload-scale', '0'], /--payload-scale must be a positive number/],
  ])('refuses %j with exit code 2 and a clear message', async (args, message) => {
    const r = await lambdaMpi(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
