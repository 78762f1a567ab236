import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, MAX_SIZE } from '../../src/index.ts';
import { checkJobRequest, MAX_INPUT_BYTES, MAX_INPUT_DEPTH } from '../../src/job-store/job-request.ts';
import { jobArguments } from '../../src/cli/job-arguments.ts';
import { parseJobRequest } from '../../src/service/job-request.ts';

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

describe('the one check of a job request, at every entry', () => {
  it.each([
    ['a body that is not an object', [], /^body must be a JSON object/],
    ['an unknown field', { program: 'pi', size: 2, ranks: 4 }, /^ranks is not a field of a job request; the fields are program, size, input, timeoutSeconds, waitSeconds, trace/],
    ['no program', { size: 2 }, /^program is required/],
    ['an empty program', { program: '', size: 2 }, /^program must be a bundled program's name, a shipped program's "sha256:<hex>" id or a program file; received ""/],
    ['no size', { program: 'pi' }, /^size is required/],
    ['a size that is not a whole number', { program: 'pi', size: 2.5 }, /^size must be an integer in 1\.\.10000; received 2\.5/],
    ['a size over MAX_SIZE', { program: 'pi', size: 10_001 }, /^size must be an integer in 1\.\.10000; received 10001/],
    ['a timeout that is not positive', { program: 'pi', size: 2, timeoutSeconds: 0 }, /^timeoutSeconds must be a positive number of seconds; received 0/],
    ['a wait where none is allowed', { program: 'pi', size: 2, waitSeconds: 5 }, /^waitSeconds must be a number of seconds in \[0, 0\]; received 5/],
    ['a trace that is not a boolean', { program: 'pi', size: 2, trace: 'yes' }, /^trace must be true or false; received "yes"/],
    ['retries that are not a whole number', { program: 'pi', size: 2, retries: 1.5 }, /^retries must be a whole number from 0 to 10 \(how many times a lost rank restarts the job from its last complete checkpoint\); received 1\.5/],
    ['more retries than allowed', { program: 'pi', size: 2, retries: 11 }, /^retries must be a whole number from 0 to 10 /],
    ['retries given as text', { program: 'pi', size: 2, retries: '2' }, /^retries must be a whole number from 0 to 10 .*; received "2"/],
  ])('refuses %s, naming the field, the value and what is allowed', (_what, body, message) => {
    let caught: unknown;
    try {
      checkJobRequest(body);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidArgumentError);
    expect((caught as Error).message).toMatch(message);
  });

  it('passes on exactly the fields given, typed, and leaves the timeout to the placement when none was asked', () => {
    expect(checkJobRequest({ program: 'pi', size: 3 })).toEqual({ program: 'pi', size: 3 });
    expect(checkJobRequest({ program: 'pi', size: 3, input: { n: 1 }, timeoutSeconds: 9, trace: true })).toEqual({ program: 'pi', size: 3, input: { n: 1 }, timeoutSeconds: 9, trace: true });
    expect(checkJobRequest({ program: 'pi', size: 3, retries: 2 })).toEqual({ program: 'pi', size: 3, retries: 2 });
    // An input only a stage cannot carry is the stage's refusal, not an in-process run's.
    expect(checkJobRequest({ program: 'pi', size: 2, input: nested(MAX_INPUT_DEPTH + 1) }).size).toBe(2);
  });

  it('is the check the CLI\'s flags and a stage\'s request go through: both refuse and accept the same sizes', () => {
    const cli = (size: number) => jobArguments(['hello'], { np: String(size) });
    const stage = (size: number) => parseJobRequest({ program: 'hello', size }, { maxTimeoutSeconds: 60 });
    for (const size of [0, 1, 2, 10_000, 10_001]) {
      const cliAccepts = (() => { try { return cli(size).size === size; } catch { return false; } })();
      const stageAccepts = (() => { try { return stage(size).size === size; } catch { return false; } })();
      expect([size, cliAccepts]).toEqual([size, stageAccepts]);
    }
    expect(() => cli(0)).toThrow(/-n must be a number of ranks in 1\.\.10000; received 0/);
    expect(cli(MAX_SIZE).size).toBe(MAX_SIZE);
    expect(stage(MAX_SIZE).size).toBe(MAX_SIZE);
  });
});
