import { InvalidArgumentError } from '../mpi/errors.ts';

/**
 * Every rank is one concurrent Lambda execution, all at once: a job larger than what the
 * account can run concurrently would never start its last ranks (their invocations are
 * throttled and retried for hours), so it is refused before anything starts.
 */
export function assertFitsConcurrency(size: number, available: number): void {
  if (size > available) {
    throw new InvalidArgumentError(
      'size',
      size,
      `at most ${available} (the Lambda concurrency this account has free)`,
      `needs one concurrent Lambda execution per rank, and the account has ${available} free; ` +
        'ask for a higher "Concurrent executions" quota (Service Quotas, AWS Lambda) or run fewer ranks',
    );
  }
}
