import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { lambdaMpi, lambdaMpiWith } from './run-cli.ts';
import { runLocal } from '../../src/index.ts';
import type { PiResult } from '../../src/programs/pi.ts';
import { freePort } from '../../tools/local-aws/free-port.ts';

const run = promisify(execFile);

describe('the lambda-mpi CLI (like mpirun)', () => {
  it('runs a bundled program on N ranks and tags output with --tag-output', async () => {
    const r = await lambdaMpi('run', 'hello', '-n', '3', '--tag-output');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').sort()).toEqual([0, 1, 2].map((rank) => expect.stringMatching(new RegExp(`^\\[${rank}\\] Hello\\. This is rank ${rank} of 3 on processor .+$`))));
  });

  it('accepts mpirun\'s -np N for -n N', async () => {
    const r = await lambdaMpi('run', 'hello', '-np', '2', '--tag-output');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').sort()).toEqual([0, 1].map((rank) => expect.stringMatching(new RegExp(`^\\[${rank}\\] Hello\\. This is rank ${rank} of 2 on processor .+$`))));
  });

  it('run --stage with no region and no local stack says how to set either, with exit code 2, before anything is bundled', async () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(AWS_|LAMBDA_MPI_)/.test(name)));
    const r = await lambdaMpiWith({ ...env, HOME: '/nonexistent', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' }, 'run', 'hello', '-n', '2', '--stage', 'local');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/region: is not set, so stage local cannot be looked up on AWS: pass --region R or set AWS_REGION; for the local stack, run `lambda-mpi offline --stage local` and paste the export lines it prints into this shell \(AWS_ENDPOINT_URL_LAMBDA, .*AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, LAMBDA_MPI_STAGE, /);
  });

  it('prints the package\'s version with --version', async () => {
    const r = await lambdaMpi('--version');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')).version);
  });

  it('passes --input as JSON and prints the result with --result', async () => {
    const r = await lambdaMpi('run', 'pi', '-n', '2', '--input', '{"samples":1000,"seed":7}', '--result');
    expect(r.code).toBe(0);
    // Rank r throws its 500 darts with seed 7 + r, as a 1-rank job with that seed does.
    const alone = await Promise.all([7, 8].map((seed) => runLocal('pi', { size: 1, input: { samples: 500, seed } })));
    const inside = alone.reduce((sum, run) => sum + (run.result as PiResult).inside, 0);
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!)).toEqual({ pi: (4 * inside) / 1000, samples: 1000, inside });
  });

  it('prints a result JSON cannot say as is the same way inline and in threads (as a stage\'s record holds it), and null when rank 0 returns nothing', async () => {
    const program = fileURLToPath(new URL('../fixtures/returns-every-kind.ts', import.meta.url));
    const expected = '{"big":"123","floats":[0.5,2],"map":{"k":1},"set":["a"],"bytes":"aGk=","when":"2026-01-02T03:04:05.000Z"}';
    const [inline, threads, nothing] = await Promise.all([
      lambdaMpi('run', program, '-n', '2', '--inline', '--result'),
      lambdaMpi('run', program, '-n', '2', '--result'),
      lambdaMpi('run', program, '-n', '2', '--inline', '--result', '--input', '{"nothing":true}'),
    ]);
    expect([inline.code, inline.stdout]).toEqual([0, `${expected}\n`]);
    expect([threads.code, threads.stdout]).toEqual([0, `${expected}\n`]);
    expect([nothing.code, nothing.stdout]).toEqual([0, 'null\n']);
  });

  it('reads the input from a file with --input-file, as --input takes it inline', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lambda-mpi-input-'));
    try {
      const file = join(dir, 'in.json');
      await writeFile(file, '{"samples":1000,"seed":7}\n');
      const [fromFile, inline] = await Promise.all([
        lambdaMpi('run', 'pi', '-n', '2', '--input-file', file, '--result'),
        lambdaMpi('run', 'pi', '-n', '2', '--input', '{"samples":1000,"seed":7}', '--result'),
      ]);
      expect(fromFile.code).toBe(0);
      expect(fromFile.stdout.trim().split('\n').at(-1)).toBe(inline.stdout.trim().split('\n').at(-1));
      await writeFile(join(dir, 'bad.json'), '{samples');
      const refused = await Promise.all([
        lambdaMpi('run', 'pi', '-n', '2', '--input-file', file, '--input', '{}'),
        lambdaMpi('run', 'pi', '-n', '2', '--input-file', join(dir, 'missing.json')),
        lambdaMpi('model', 'pi', '-n', '2', '--input-file', join(dir, 'bad.json')),
      ]);
      expect(refused.map((r) => r.code)).toEqual([2, 2, 2]);
      expect(refused[0]!.stderr).toContain('--input and --input-file exclude each other');
      expect(refused[1]!.stderr).toContain(`--input-file ${join(dir, 'missing.json')} cannot be read: no such file`);
      expect(refused[2]!.stderr).toContain(`--input-file ${join(dir, 'bad.json')} must hold JSON`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('counts a program file that does not build as bad usage (exit 2): in threads, inline and in the model', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lambda-mpi-broken-'));
    try {
      const file = join(dir, 'broken.ts');
      await writeFile(join(dir, 'package.json'), '{ "type": "module" }\n');
      await writeFile(file, "import { defineProgram } from 'lambda-mpi';\nexport default defineProgram(async (comm) => comm.rank));\n");
      const runs = await Promise.all([lambdaMpi('run', file, '-n', '2'), lambdaMpi('run', file, '-n', '2', '--inline'), lambdaMpi('model', file, '-n', '2')]);
      expect(runs.map((r) => r.code)).toEqual([2, 2, 2]);
      for (const r of runs) expect(r.stderr).toContain(`lambda-mpi: cannot load ${file}: `);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('runs a program file and exits non-zero with the failing rank\'s error and stack', async () => {
    const r = await lambdaMpi('run', 'test/fixtures/failing-rank.ts', '-n', '3');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('rank 2 failed: Error: bad rank');
    expect(r.stderr).toContain('failing-rank.ts:4');
    expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual(['rank 0', 'rank 1', 'rank 2']);
  });

  it('fails with a timeout naming the rank and what it waits on', async () => {
    const r = await lambdaMpi('run', 'test/fixtures/stuck-rank.ts', '-n', '2', '--timeout', '0.3');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/timed out after 300 ms; ranks still running: rank 1 waits in recv, source 0, tag 5/);
  });

  it.each([
    [['run', 'hello'], /missing -n <ranks>/],
    [['run', 'hello', '-n', '0'], /-n must be a number of ranks in 1\.\.10000; received 0/],
    [['run', 'nope', '-n', '2'], /program must be one of the bundled programs/],
    [['run', 'hello', '-n', '2', '--input', '{bad'], /--input must be JSON/],
    [['launch', 'hello'], /unknown command "launch"/],
    [['run', 'hello', '-n', '2', '--region', 'eu-west-1'], /--region needs --stage/],
    [['run', 'hello', '-n', '2', '--stage', 'Prod'], /--stage must be 1-28 lower-case letters/],
    [['run', 'hello', '-n', '2', '--timeout=-1'], /--timeout must be a positive number of seconds; received "-1"/],
    [['run', 'hello', '-n', '2', '--timeout', '0'], /--timeout must be a positive number of seconds; received "0"/],
    [['run', 'hello', '-n', 'abc'], /-n must be a whole number of ranks; received "abc"/],
    [[], /missing the command/],
    [['deploy'], /missing --stage <stage>/],
    [['deploy', '--stage', 'Prod'], /--stage must be 1-28 lower-case letters, digits or '-', starting with a letter; received "Prod"/],
    [['deploy', '--stage', 'prod', '--param', 'workerMemory'], /--param must be key=value, e\.g\. workerMemory=3008; received "workerMemory"/],
    [['deploy', '--stage', 'prod', '--data-bucket', 'My_Bucket'], /--data-bucket: "My_Bucket" is not an S3 bucket name \(3-63 lower-case letters, digits, dots, hyphens\)/],
    [['deploy', '--stage', 'prod', ...['a', 'b', 'c', 'd', 'e', 'f', 'g'].flatMap((b) => ['--data-bucket', `bucket-${b}`])], /--data-bucket may name at most 6 buckets .*; received 7/],
    [['remove', '--stage', 'prod', '--region', 'mars'], /--region must be an AWS region name such as us-east-1; received "mars"/],
    [['remove', 'prod'], /unexpected arguments: prod/],
    [['offline', '--s3-port', '70000'], /--s3-port must be a port number in 1\.\.65535; received "70000"/],
    [['offline', '--verbose'], /Unknown option '--verbose'/],
    [['run', 'hello', '-n', '2', '--trace'], /--trace.*argument missing|Option '--trace <value>' argument missing/],
    [['cancel', '--stage', 'prod'], /missing the job id/],
    [['cancel', 'not-a-job', '--stage', 'prod'], /the job id must be 26 letters a-z and digits 2-7, as lambda-mpi prints it; received "not-a-job"/],
    [['cancel', 'aaaaaaaaaaaaaaaaaaaaaaaaaa'], /missing --stage <stage>/],
  ])('refuses bad usage %j with exit code 2 and a clear message', async (args, message) => {
    const r = await lambdaMpi(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

describe('the commands', () => {
  it('lists every command, and shows each one\'s own usage with --help', async () => {
    const overview = await lambdaMpi('--help');
    expect(overview.code).toBe(0);
    expect([...overview.stdout.matchAll(/^  ([a-z]+)  /gm)].map((m) => m[1])).toEqual(['run', 'cancel', 'offline', 'deploy', 'remove', 'model']);
    for (const command of ['run', 'cancel', 'offline', 'deploy', 'remove', 'model']) {
      const help = await lambdaMpi(command, '--help');
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^Usage: lambda-mpi ${command} `));
    }
  });

  it.each(['deploy', 'remove'])('%s refuses, with exit code 2, a shell that the local stack\'s export lines point at', async (command) => {
    const r = await lambdaMpiWith({ ...process.env, AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4569', AWS_ENDPOINT_URL_SQS: 'https://sqs.us-east-1.amazonaws.com' }, command, '--stage', 'prod');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`this shell points AWS at the local stack (AWS_ENDPOINT_URL_S3=http://127.0.0.1:4569): run \`lambda-mpi ${command}\` from a shell without the export lines`);
  });
});

describe('lambda-mpi offline', () => {
  it('fails with exit code 1, naming the flags to change, when a port it needs is in use', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const s3Port = (busy.address() as AddressInfo).port;
    try {
      const [httpPort, lambdaPort, sqsPort] = await Promise.all([freePort(), freePort(), freePort()]);
      const r = await lambdaMpi('offline', '--stage', 'busy', '--s3-port', String(s3Port), '--http-port', String(httpPort), '--lambda-port', String(lambdaPort), '--sqs-port', String(sqsPort));
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`EADDRINUSE: address already in use 127.0.0.1:${s3Port}`);
      expect(r.stderr).toMatch(/lambda-mpi offline: the local stack did not start \(.*\); a port is in use: choose others with --http-port, --lambda-port, --s3-port and --sqs-port\n$/);
    } finally {
      busy.close();
    }
  });
});

describe('runLocal and the process', () => {
  it('leaves no timer or pending work behind: the process exits on its own after jobs that succeed, fail, abort and time out', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--conditions=lambda-mpi-source', 'test/fixtures/leaves-nothing-behind.ts'], { timeout: 20_000 });
    expect(JSON.parse(stdout.trim())).toEqual(['ok', 'RankFailedError', 'JobAbortedError', 'JobTimeoutError']);
  });
});
