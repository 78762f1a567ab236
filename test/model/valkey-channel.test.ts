import { describe, expect, it } from 'vitest';
import { modelProgram } from '../../src/model/model-run.ts';
import { heat1d } from '../../bench/heat-1d.ts';
import { defineProgram } from '../../src/index.ts';

const hello = defineProgram(async (comm) => comm.rank);

describe('the model of the Valkey channel', () => {
  it('runs a halo-exchanging stencil at least 8 times faster than over SQS, with the same answer', async () => {
    const input = { steps: 40, cells: 100 };
    const sqs = await modelProgram(heat1d, { size: 16, input });
    const valkey = await modelProgram(heat1d, { size: 16, input, channel: 'valkey' });
    expect(valkey.result).toBeCloseTo(sqs.result as number, 9);
    expect(sqs.runSeconds / valkey.runSeconds).toBeGreaterThanOrEqual(8);
  });

  it('creates no queue, counts the cache\'s commands instead of SQS requests, and bills them as ECPUs', async () => {
    const valkey = await modelProgram(hello, { size: 8, channel: 'valkey' });
    expect(valkey.channel).toBe('valkey');
    expect(valkey.requests.sqs).toBe(0);
    expect(valkey.requests.valkey).toBeGreaterThan(0);
    expect(valkey.cost.sqs).toBe(0);
    expect(valkey.cost.valkey).toBeGreaterThan(0);
    const sqs = await modelProgram(hello, { size: 8 });
    // No CreateQueue, and no second's wait after it: the ranks start sooner.
    expect(valkey.startupSeconds).toBeLessThan(sqs.startupSeconds);
  });
});
