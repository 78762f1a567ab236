import type { LambdaClient } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/index.ts';
import { assertFitsConcurrency } from '../../src/service/concurrency-check.ts';
import { freeConcurrency } from '../../src/service/launcher.ts';

describe('the account-concurrency check before a job starts', () => {
  it('lets a job of as many ranks as the account has free concurrency start', () => {
    expect(() => assertFitsConcurrency(900, 900)).not.toThrow();
  });

  it('refuses one rank more, saying what the account has and what to do', () => {
    const error = (() => {
      try {
        assertFitsConcurrency(901, 900);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toMatchObject({ argument: 'size', value: 901 });
    expect((error as Error).message).toBe(
      'size needs one concurrent Lambda execution per rank, and the account has 900 free; ask for a higher "Concurrent executions" quota (Service Quotas, AWS Lambda) or run fewer ranks; received 901',
    );
  });

  it('reads the free concurrency from the account settings, and does without when they cannot be read', async () => {
    const answering = { send: async () => ({ AccountLimit: { UnreservedConcurrentExecutions: 900 } }) } as unknown as LambdaClient;
    const failing = { send: async () => Promise.reject(new Error('not found')) } as unknown as LambdaClient;
    expect(await freeConcurrency(answering)).toBe(900);
    expect(await freeConcurrency(failing)).toBeUndefined();
  });
});
