import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AnswerBudget } from '../../src/service/answer-budget.ts';
import { handleHttp, type HttpEvent, type HttpResponse } from '../../src/service/http-api.ts';
import type { JobRecord } from '../../src/job-store/job-record.ts';
import type { RunsStage } from '../../src/service/runs-stage.ts';
import type { Clock } from '../../src/transport/clock.ts';
import { handler } from '../../src/service/handlers/http.ts';

/**
 * POST /runs answers before API Gateway's 29 s limit however slow its stage is: its time is
 * counted from the request's arrival and from the function's own remaining time, and every await
 * on the way is cut off when that time is spent. Simulated time: a stage call "takes" time by
 * moving the clock, or never ends; the handler's timers fire when nothing else can run.
 */
class SimulatedClock implements Clock {
  private timers: Array<{ at: number; callback: () => void }> = [];
  constructor(public time = 1_000_000) {}
  now = () => this.time;
  schedule(callback: () => void, delayMs: number): () => void {
    const timer = { at: this.time + Math.max(0, delayMs), callback };
    this.timers.push(timer);
    return () => { this.timers = this.timers.filter((t) => t !== timer); };
  }
  /** Moves to the next timer and fires it; false when there is none. */
  fireNext(): boolean {
    if (this.timers.length === 0) return false;
    const next = this.timers.reduce((a, b) => (b.at < a.at ? b : a));
    this.timers = this.timers.filter((t) => t !== next);
    this.time = Math.max(this.time, next.at);
    next.callback();
    return true;
  }
}

/** Runs the handler in simulated time; a handler that waits on nothing it set a deadline for fails. */
async function drive(clock: SimulatedClock, answer: Promise<HttpResponse>): Promise<HttpResponse> {
  let settled = false;
  void answer.finally(() => { settled = true; }).catch(() => {});
  while (!settled) {
    await new Promise((resolve) => setImmediate(resolve));
    if (!settled && !clock.fireNext()) throw new Error('the handler waits with no deadline: it would answer only when its stage does');
  }
  return answer;
}

const never = <T>() => new Promise<T>(() => {});

/** A stage whose calls are recorded with the simulated time they began at; overrides make them slow. */
function stage(clock: SimulatedClock, overrides: Partial<RunsStage> = {}) {
  const calls: Array<{ name: string; at: number }> = [];
  const record = (name: string) => calls.push({ name, at: clock.now() });
  const running = (jobId: string): JobRecord => ({ jobId, status: 'running' }) as JobRecord;
  const base: RunsStage = {
    assertProgramShipped: async () => {},
    writeJobRecord: async () => {},
    readJobRecord: async (jobId) => running(jobId),
    storeInput: async () => ({}),
    invokeRun: async () => {},
    destroy: () => {},
  };
  const merged = { ...base, ...overrides };
  const traced = Object.fromEntries(Object.entries(merged).map(([name, fn]) => [name, (...args: unknown[]) => {
    record(name);
    return (fn as (...a: unknown[]) => unknown)(...args);
  }])) as unknown as RunsStage;
  return { calls, open: () => traced };
}

const saved = { ...process.env };
beforeAll(() => {
  Object.assign(process.env, { LAMBDA_MPI_BUCKET: 'lambda-mpi-test-bucket', LAMBDA_MPI_WORKER_FUNCTION: 'w', LAMBDA_MPI_RUN_FUNCTION: 'r' });
});
afterAll(() => {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
});

function post(clock: SimulatedClock, waitSeconds: number, arrivedMsAgo = 0): HttpEvent {
  return {
    httpMethod: 'POST', resource: '/runs', path: '/runs',
    body: JSON.stringify({ program: 'pi', size: 2, waitSeconds }),
    requestContext: { requestTimeEpoch: clock.now() - arrivedMsAgo },
  };
}

describe('POST /runs answers within its budget, counted from the request\'s arrival', () => {
  it('waitSeconds 25 on a request that arrived 10 s ago (it waited for an instance): the polls stop at the budget and the answer is 202 with the job id', async () => {
    const clock = new SimulatedClock();
    // Each read of the record takes 3 s: a slow bucket under load.
    const s = stage(clock, { readJobRecord: (jobId) => new Promise((resolve) => clock.schedule(() => resolve({ jobId, status: 'running' } as JobRecord), 3_000)) });
    const event = post(clock, 25, 10_000);
    const budget = AnswerBudget.forRequest({ arrivedAt: event.requestContext!.requestTimeEpoch, remainingTimeMs: 29_000, clock });
    const r = await drive(clock, handleHttp(event, 'req', { budget, openStage: s.open }));
    expect(r.statusCode).toBe(202);
    expect(JSON.parse(r.body).jobId).toMatch(/^[a-z2-7]{26}$/);
    // Answered before API Gateway's limit from the arrival, not from the handler's start.
    expect(clock.now()).toBeLessThan(event.requestContext!.requestTimeEpoch! + 29_000);
    expect(s.calls.filter((c) => c.name === 'readJobRecord').length).toBeGreaterThan(0);
  });

  it('the function\'s own remaining time bounds the answer when it is shorter than API Gateway\'s limit', async () => {
    const clock = new SimulatedClock();
    const s = stage(clock);
    const budget = AnswerBudget.forRequest({ remainingTimeMs: 6_000, clock });
    const r = await drive(clock, handleHttp(post(clock, 25), 'req', { budget, openStage: s.open }));
    expect(r.statusCode).toBe(202);
    expect(clock.now()).toBeLessThan(1_000_000 + 6_000);
  });

  it('a read of the record that never ends is cut off: 202 with the job id', async () => {
    const clock = new SimulatedClock();
    const s = stage(clock, { readJobRecord: () => never() });
    const budget = AnswerBudget.forRequest({ remainingTimeMs: 29_000, clock });
    const r = await drive(clock, handleHttp(post(clock, 25), 'req', { budget, openStage: s.open }));
    expect(r.statusCode).toBe(202);
    expect(JSON.parse(r.body).jobId).toMatch(/^[a-z2-7]{26}$/);
  });

  it('a run function that never confirms the invocation: 202 with the job id (it may be starting), not a 504 that loses it', async () => {
    const clock = new SimulatedClock();
    const s = stage(clock, { invokeRun: () => never() });
    const budget = AnswerBudget.forRequest({ remainingTimeMs: 29_000, clock });
    const r = await drive(clock, handleHttp(post(clock, 25), 'req', { budget, openStage: s.open }));
    expect(r.statusCode).toBe(202);
    const answer = JSON.parse(r.body);
    expect(answer.jobId).toMatch(/^[a-z2-7]{26}$/);
    expect(answer.message).toContain(`GET ${answer.location}`);
  });

  it('a bucket that never answers before the job is recorded: 503 saying no job was started, and the run function is never asked', async () => {
    const clock = new SimulatedClock();
    const s = stage(clock, { writeJobRecord: () => never() });
    const budget = AnswerBudget.forRequest({ remainingTimeMs: 29_000, clock });
    const r = await drive(clock, handleHttp(post(clock, 25), 'req', { budget, openStage: s.open }));
    expect(r.statusCode).toBe(503);
    expect(JSON.parse(r.body).message).toContain('no job was started');
    expect(s.calls.map((c) => c.name)).not.toContain('invokeRun');
  });

  it('a read that fails during the wait costs the wait, not the job id', async () => {
    const clock = new SimulatedClock();
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const s = stage(clock, { readJobRecord: async () => { throw new Error('SlowDown'); } });
    const budget = AnswerBudget.forRequest({ remainingTimeMs: 29_000, clock });
    try {
      const r = await drive(clock, handleHttp(post(clock, 1), 'req', { budget, openStage: s.open }));
      expect(r.statusCode).toBe(202);
      expect(JSON.parse(r.body).jobId).toMatch(/^[a-z2-7]{26}$/);
    } finally {
      error.mockRestore();
    }
  });
});

describe('the Lambda handler takes its budget from the event and the context', () => {
  // Storage and the run function on ports nothing listens on: any step the handler tried would fail otherwise.
  const unreachable = { LAMBDA_MPI_BUCKET: 'lambda-mpi-test-bucket', AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9', AWS_ENDPOINT_URL_LAMBDA: 'http://127.0.0.1:9', AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x' };
  const event = (arrivedMsAgo: number): HttpEvent => ({
    httpMethod: 'POST', resource: '/runs', path: '/runs', body: '{"program":"pi","size":2,"waitSeconds":25}',
    requestContext: { requestTimeEpoch: Date.now() - arrivedMsAgo },
  });

  it('a request that arrived 28 s ago (API Gateway gives up at 29) starts nothing and says so at once', async () => {
    Object.assign(process.env, unreachable);
    const r = await handler(event(28_000), { awsRequestId: 'r', getRemainingTimeInMillis: () => 29_000 }) as HttpResponse;
    expect(r.statusCode).toBe(503);
    expect(JSON.parse(r.body).message).toContain('no job was started');
  });

  it('a function with a second left (its own timeout nearer than API Gateway\'s) does the same', async () => {
    Object.assign(process.env, unreachable);
    const r = await handler(event(0), { awsRequestId: 'r', getRemainingTimeInMillis: () => 1_000 }) as HttpResponse;
    expect(r.statusCode).toBe(503);
    expect(JSON.parse(r.body).message).toContain('no job was started');
  });
});
