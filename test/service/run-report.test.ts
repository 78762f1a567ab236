import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newJobId } from '../../src/runtime/job-id.ts';
import { freePort } from '../../tools/local-aws/free-port.ts';
import { startOfflineStack, type OfflineStack } from '../../tools/local-aws/offline-stack.ts';
import { networkReferences } from '../../tools/report-pages/headless-chromium.ts';
import { lambdaMpiWith, type CliOutcome } from '../cli/run-cli.ts';
import { offlineShellEnv } from './offline-env.ts';

/**
 * A job's report from a stage (serverless-offline + local S3/SQS, started once for the file):
 * `lambda-mpi run … --stage S --report FILE.html`, and GET /runs/{jobId}/report, which serves the
 * same page from the job's record and trace.
 */
const STAGE = 'report';

let stack: OfflineStack;
let env: NodeJS.ProcessEnv;
let tmp: string;

function lambdaMpi(args: string[]): Promise<CliOutcome> {
  return lambdaMpiWith(env, ...args);
}

async function http(method: string, path: string, body?: unknown, key: string | null = stack.apiKey): Promise<{ status: number; type: string; text: string }> {
  const response = await fetch(`${stack.httpEndpoint}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(key ? { 'x-api-key': key } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, type: response.headers.get('content-type') ?? '', text: await response.text() };
}

beforeAll(async () => {
  const [httpPort, lambdaPort, s3Port, sqsPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  stack = await startOfflineStack({ httpPort, lambdaPort, s3Port, sqsPort, stage: STAGE });
  env = offlineShellEnv(stack, STAGE);
  tmp = await mkdtemp(join(tmpdir(), 'lambda-mpi-run-report-'));
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
}, 60_000);

const laneRanks = (html: string) => [...html.matchAll(/<g class="lane" data-rank="(\d+)">/g)].map((m) => Number(m[1]));
const dataValue = (html: string, name: string) => new RegExp(`data-field="${name}" data-value="([^"]*)"`).exec(html)?.[1];

describe('the report of a job on a stage', () => {
  let jobId: string;
  let cliPage: string;

  it("run --stage --report writes the job's page: a lane per rank with its invocation, the time breakdown and the cost line", async () => {
    const file = join(tmp, 'stage.html');
    const r = await lambdaMpi(['run', 'pi', '-n', '4', '--stage', STAGE, '--input', '{"samples":200000}', '--report', file]);
    expect(r.code, r.stderr).toBe(0);
    jobId = /^lambda-mpi: job ([a-z2-7]{26})/m.exec(r.stderr)![1]!;
    cliPage = await readFile(file, 'utf8');
    expect(laneRanks(cliPage)).toEqual([0, 1, 2, 3]);
    expect(cliPage).toContain(`<code>${jobId}</code>`);
    for (const rank of [1, 2, 3]) expect(cliPage).toMatch(new RegExp(`<title>rank ${rank}: invocation \\((cold start|warm)\\) \\(startup\\)`));
    const printedCost = /estimated cost of job [a-z2-7]+: \$([\d.]+)/.exec(r.stderr)![1]!;
    expect(Number(dataValue(cliPage, 'cost-usd')).toFixed(printedCost.split('.')[1]!.length)).toBe(printedCost);
    expect(Number(dataValue(cliPage, 'startup-seconds'))).toBeGreaterThan(0);
    expect(networkReferences(cliPage)).toEqual([]);
  }, 120_000);

  it('GET /runs/{jobId}/report serves the same page from the record and the trace (API key)', async () => {
    const page = await http('GET', `/runs/${jobId}/report`);
    expect(page.status, page.text).toBe(200);
    expect(page.type).toMatch(/^text\/html/);
    expect(laneRanks(page.text)).toEqual([0, 1, 2, 3]);
    for (const name of ['total-seconds', 'startup-seconds', 'run-seconds', 'cleanup-seconds']) expect(dataValue(page.text, name), name).toBe(dataValue(cliPage, name));
    // The job's own cost, from its record: the CLI's adds what the CLI itself asked of the stage.
    const cost = Number(dataValue(page.text, 'cost-usd'));
    expect(cost).toBeGreaterThan(0);
    expect(cost).toBeLessThanOrEqual(Number(dataValue(cliPage, 'cost-usd')));
    expect(page.text).toMatch(/<span class="status status-succeeded" data-field="status">succeeded<\/span>/);
    expect(section(page.text, 'Output')).toMatch(/<td>rank 0<\/td><td>1<\/td><td><pre>pi is approximately/);
    expect(networkReferences(page.text)).toEqual([]);
    expect((await http('GET', `/runs/${jobId}/report`, undefined, null)).status).toBe(403);
  }, 60_000);

  it('an untraced job has a page without timeline, saying how to get one; an unknown job is 404, a bad id 400', async () => {
    const started = await http('POST', '/runs', { program: 'hello', size: 2 });
    expect(started.status, started.text).toBe(200);
    const id = JSON.parse(started.text).jobId as string;
    const page = await http('GET', `/runs/${id}/report`);
    expect(page.status).toBe(200);
    expect(laneRanks(page.text)).toEqual([]);
    expect(page.text).toMatch(/This job was not traced/);
    expect(section(page.text, 'Output')).toContain('<td>rank 1</td>');
    expect((await http('GET', `/runs/${newJobId()}/report`)).status).toBe(404);
    const bad = await http('GET', '/runs/not-a-job/report');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text).message).toMatch(/jobId/);
  }, 60_000);

  it('a job still running has no report yet: 409 saying so', async () => {
    const started = await http('POST', '/runs', { program: 'pi', size: 2, input: { samples: 400_000_000 }, waitSeconds: 0, trace: true });
    expect(started.status, started.text).toBe(202);
    const id = JSON.parse(started.text).jobId as string;
    const page = await http('GET', `/runs/${id}/report`);
    expect(page.status, page.text).toBe(409);
    expect(JSON.parse(page.text).message).toMatch(/still running/);
    await http('DELETE', `/runs/${id}`);
  }, 60_000);
});

function section(html: string, title: string): string {
  const start = html.indexOf(`<h2>${title}</h2>`);
  const end = html.indexOf('<h2>', start + 1);
  return start < 0 ? '' : html.slice(start, end < 0 ? undefined : end);
}
