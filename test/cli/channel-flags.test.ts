import { describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lambdaMpi, lambdaMpiWith } from './run-cli.ts';

describe('--channel', () => {
  it('models a program over Valkey when asked, and says so', async () => {
    const r = await lambdaMpi('model', 'hello', '-n', '4', '--channel', 'valkey', '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { channel: string; requests: { sqs: number; valkey: number } };
    expect(report.channel).toBe('valkey');
    expect(report.requests.sqs).toBe(0);
    expect(report.requests.valkey).toBeGreaterThan(0);
  });

  it('prints a model over Valkey with Valkey\'s commands, ECPUs and cost, and no SQS', async () => {
    // One run: a model times the program's own compute, so two runs' counts of polls may differ.
    const text = await lambdaMpi('model', 'hello', '-n', '4', '--channel', 'valkey');
    expect(text.code).toBe(0);
    const requests = text.stdout.split('\n').find((line) => line.trimStart().startsWith('requests'))!;
    const cost = text.stdout.split('\n').find((line) => line.trimStart().startsWith('cost'))!;
    const [, commands, ecpus] = /Valkey (\d+) commands \((\d+) ECPUs: one per KB moved\)/.exec(requests)!.map(Number);
    expect(ecpus).toBeGreaterThanOrEqual(commands!);
    // The ECPUs at $0.0023 per million, printed to three significant digits.
    const valkeyUsd = Number(/· Valkey \$([0-9.e-]+) ·/.exec(cost)![1]);
    expect(Math.abs(valkeyUsd - ecpus! * 0.0023 / 1e6) / valkeyUsd).toBeLessThan(0.01);
    expect(`${requests}\n${cost}`).not.toContain('SQS');
    expect(text.stdout).toMatch(/^ {2}cleanup +\S+ s {3}the job's keys and objects deleted$/m);
  });

  it.each([
    [['model', 'hello', '-n', '2', '--channel', 'tcp'], /--channel must be sqs or valkey; received "tcp"/],
    [['deploy', '--stage', 'dev', '--vpc', 'vpc-0123456789abcdef0', '--subnets', 'subnet-0123456789abcdef0,subnet-0123456789abcdef1'], /--vpc and --subnets are for a stage on Valkey: add --channel valkey/],
    [['deploy', '--stage', 'dev', '--channel', 'valkey', '--vpc', 'vpc-0123456789abcdef0'], /--vpc and --subnets go together/],
    [['deploy', '--stage', 'dev', '--channel', 'valkey', '--vpc', 'vpc-0123456789abcdef0', '--subnets', 'subnet-0123456789abcdef0,sn-2'], /--subnets must be subnet ids .*; received "sn-2"/],
  ])('refuses %j with exit code 2 and a clear message', async (args, message) => {
    const r = await lambdaMpi(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('offline --channel valkey without valkey-server or redis-server on PATH fails at once, naming both', async () => {
    // An empty folder as the whole PATH: the CLI starts its children by node's own path.
    const path = await mkdtemp(join(tmpdir(), 'lambda-mpi-empty-path-'));
    const r = await lambdaMpiWith({ ...process.env, PATH: path }, 'offline', '--channel', 'valkey', '--stage', 'nopath');
    await rm(path, { recursive: true, force: true });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the local stack did not start \(neither valkey-server nor redis-server is on PATH/);
  });
});
