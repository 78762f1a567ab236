import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopChild } from '../../tools/local-aws/child-process.ts';
import { startLambdaMpi, until } from '../cli/run-cli.ts';
import { freePort } from '../../tools/local-aws/free-port.ts';
import { startOfflineStack, type OfflineStack } from '../../tools/local-aws/offline-stack.ts';
import { offlineShellEnv } from './offline-env.ts';

/**
 * The HTTP API and the CLI when things go wrong, on a local stack of this file's own: hostile
 * bodies through API Gateway (never a 500), then the stack killed under a running job (the CLI
 * names the vanished stack and what became of the job, and exits 1).
 */
const STAGE = 'vanish';
const ticker = join(import.meta.dirname, '../fixtures/ticker.ts');
let stack: OfflineStack;
let env: NodeJS.ProcessEnv;
const children: ChildProcess[] = [];

beforeAll(async () => {
  const [httpPort, lambdaPort, s3Port, sqsPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  stack = await startOfflineStack({ httpPort, lambdaPort, s3Port, sqsPort, stage: STAGE });
  env = offlineShellEnv(stack, STAGE);
}, 120_000);

afterAll(async () => {
  await Promise.all(children.map((child) => stopChild(child, 'SIGKILL', 5_000)));
  await stack?.stop();
}, 60_000);

describe('POST /runs through API Gateway: a hostile body is a 400, never a 500', () => {
  const bodies = [
    '{"program":"pi","size":{"constructor":{"name":{"toString":1}}}}',
    '{"program":{"constructor":{"name":{"toString":1}}},"size":2}',
    '{"program":"pi","size":2,"extra":{"constructor":{"name":{"toString":1}}}}',
    '{"program":"pi","size":2,"__proto__":{"constructor":{"name":{"valueOf":1}}}}',
    '{"program":"pi","size":2,"timeoutSeconds":{"toString":{}},"waitSeconds":0}',
    '[{"constructor":{"name":{"toString":1}}}]',
  ];
  it.each(bodies)('%s', async (body) => {
    const response = await fetch(`${stack.httpEndpoint}/runs`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': stack.apiKey }, body });
    const answer = await response.json() as { message?: string; argument?: string };
    expect(response.status).toBe(400);
    expect(answer.message).toEqual(expect.any(String));
    expect(answer.argument).toEqual(expect.any(String));
  }, 60_000);
});

describe('the local stack stopped under a running job', () => {
  it('lambda-mpi run names the vanished stack and the job\'s fate, and exits 1', { timeout: 180_000 }, async () => {
    const { child, stdout, stderr, exited } = startLambdaMpi(env, 'run', ticker, '-n', '2', '--stage', STAGE, '--timeout', '100', '--input', JSON.stringify({ sleepMs: 600_000 }));
    children.push(child);
    // The job runs: its ranks printed, and the CLI showed it live.
    await until(() => stdout.includes('first from rank 1'), 120_000, () => `the job did not print within 120 s; the CLI said: ${stderr.join('\n')}`);
    const jobId = /^lambda-mpi: job ([a-z2-7]{26}): /m.exec(stderr.join('\n'))?.[1];
    expect(jobId).toBeDefined();
    // The stack dies as a crash would end it: at once, with no chance to answer.
    process.kill(stack.pid, 'SIGKILL');
    const code = await exited;
    const said = stderr.join('\n');
    expect(code, said).toBe(1);
    expect(said).toMatch(new RegExp(
      `^lambda-mpi: the local stack of stage ${STAGE} at ${stack.lambdaEndpoint.replace(/\./g, '\\.')} stopped answering \\(connection (reset|refused)\\) ` +
      // The stack's S3 runs in a process of its own that follows the stack's end within moments:
      // the CLI's read of the record may still reach it, or not.
      `while job ${jobId} was running; (its state is unknown, and lost: the stack's S3 does not answer either|its record still says running, but its ranks ran inside the stack and ended with it: the job is lost)\\b.*` +
      `Restart it with \`lambda-mpi offline --stage ${STAGE}\``, 'm'));
    expect(said).not.toMatch(/^lambda-mpi: socket hang up$/m);
  });
});
