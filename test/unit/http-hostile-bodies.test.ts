import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MAX_SIZE } from '../../src/mpi/constants.ts';
import { handleHttp, type HttpEvent } from '../../src/service/http-api.ts';
import type { RunsStage } from '../../src/service/runs-stage.ts';
import { hostileBodies } from './hostile-json.ts';

/**
 * No JSON body makes POST /runs answer 500: each one is refused with 400 and a message naming the
 * field, or (when it is a good request after all) starts a job. The stage stands in for S3 and the
 * run function, answering at once, so only the handler's own reading of the body is on trial.
 */
const saved = { ...process.env };
beforeAll(() => {
  Object.assign(process.env, { LAMBDA_MPI_BUCKET: 'lambda-mpi-test-bucket', LAMBDA_MPI_WORKER_FUNCTION: 'w', LAMBDA_MPI_RUN_FUNCTION: 'r' });
});
afterAll(() => {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
});

/** A stage that has every shipped program and finishes every job at once. */
const instantStage = (): RunsStage => ({
  assertProgramShipped: async () => {},
  writeJobRecord: async () => {},
  readJobRecord: async (jobId) => ({ jobId, status: 'succeeded', result: 1 }) as never,
  storeInput: async (_jobId, input) => (input === undefined ? {} : { input }),
  invokeRun: async () => {},
  destroy: () => {},
});

const post = (body: string): HttpEvent => ({ httpMethod: 'POST', resource: '/runs', path: '/runs', body });

describe('POST /runs answers every JSON body without a 500', () => {
  it('the issue\'s body: a size whose constructor.name has a toString that is not a function is a 400 naming size', async () => {
    const r = await handleHttp(post('{"program":"pi","size":{"constructor":{"name":{"toString":1}}}}'), 'req', { openStage: instantStage });
    expect(r.statusCode).toBe(400);
    expect(JSON.parse(r.body)).toMatchObject({ argument: 'size', message: `size must be an integer in 1..${MAX_SIZE}; received an object (Object)` });
  });

  it('hostile values in every field, known or not, and as the whole body: 400 with a message, or a started job', { timeout: 120_000 }, async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const answers = new Map<number, number>();
    try {
      for (const body of hostileBodies()) {
        const r = await handleHttp(post(body), 'req', { openStage: instantStage });
        answers.set(r.statusCode, (answers.get(r.statusCode) ?? 0) + 1);
        const answer = JSON.parse(r.body) as { message?: unknown; argument?: unknown; jobId?: unknown };
        if (![200, 202, 400].includes(r.statusCode)) expect.fail(`${r.statusCode} for ${body.slice(0, 200)}: ${r.body.slice(0, 300)}`);
        if (r.statusCode === 400) {
          expect(answer.message, body.slice(0, 200)).toEqual(expect.any(String));
          expect(answer.argument, body.slice(0, 200)).toEqual(expect.any(String));
          // Short whatever the body holds: a refusal names what was wrong, it does not echo the body.
          expect((answer.message as string).length + (answer.argument as string).length, body.slice(0, 200)).toBeLessThan(2_000);
        } else {
          expect(answer.jobId, body.slice(0, 200)).toEqual(expect.any(String));
        }
      }
    } finally {
      error.mockRestore();
    }
    // Both kinds were met: the bodies are not all refused for one reason.
    expect(answers.get(400)).toBeGreaterThan(0);
    expect(answers.get(200)).toBeGreaterThan(0);
  });
});
