import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/index.ts';
import { MAX_INPUT_BYTES, MAX_INPUT_DEPTH, parseJobRequest } from '../../src/service/job-request.ts';

/** A stage's cost guards and the shape of an input, checked before anything is written or started. */
const limits = { maxTimeoutSeconds: 120, maxRanks: 32, diagnostics: false };

function refusal(body: unknown, given = limits): InvalidArgumentError {
  try {
    parseJobRequest(body, given);
  } catch (error) {
    if (error instanceof InvalidArgumentError) return error;
    throw error;
  }
  throw new Error('the request was accepted');
}

/** `depth` arrays, one inside the other. */
const nested = (depth: number) => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
};

describe('a job request against its stage\'s limits', () => {
  it('refuses more ranks than the stage allows, saying its limit', () => {
    expect(refusal({ program: 'pi', size: 33 }).message).toBe('size must be an integer in 1..32 (this stage\'s largest job: its param maxRanks); received 33');
    expect(parseJobRequest({ program: 'pi', size: 32 }, limits).size).toBe(32);
  });

  it('refuses the diagnostics programs on a stage that does not ask for them, and runs them where it does', () => {
    for (const program of ['fail-rank', 'crash-rank', 'busy-rank']) {
      expect(refusal({ program, size: 2 }).message).toMatch(/^program is a diagnostics program, which this stage does not run \(deploy it with --param="diagnostics=true"/);
      expect(parseJobRequest({ program, size: 2 }, { ...limits, diagnostics: true }).program).toBe(program);
    }
  });

  it(`accepts an input ${MAX_INPUT_DEPTH} levels deep and refuses one level more`, () => {
    expect(parseJobRequest({ program: 'pi', size: 2, input: nested(MAX_INPUT_DEPTH) }, limits).input).toBeDefined();
    expect(refusal({ program: 'pi', size: 2, input: nested(MAX_INPUT_DEPTH + 1) }).message).toMatch(/^input is nested more than 1000 levels deep/);
  });

  it('refuses an input larger than a synchronous invocation can carry', () => {
    const error = refusal({ program: 'pi', size: 2, input: 'x'.repeat(MAX_INPUT_BYTES) });
    expect(error.message).toMatch(new RegExp(`^input is ${MAX_INPUT_BYTES + 2} bytes as JSON; at most ${MAX_INPUT_BYTES} are allowed`));
  });
});
