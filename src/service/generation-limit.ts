import { LambdaMpiError } from '../mpi/errors.ts';
import { CLEANUP_MARGIN_MS } from './lambda-config.ts';

/**
 * What rank 0 keeps back, after its generation's last checkpoint, to hand the job over: the
 * workers' reports, the event log's last chunks, what the generation carries on, the record and
 * the next generation's invocation. The clean-up margin comes after it.
 */
export const HANDOVER_MS = 5_000;

/**
 * How long rank 0's generation may run (from now), or undefined when the job ends within this
 * function and no `generationSeconds` was asked: checkpointIfDue then never ends a generation.
 * The function's own end less the hand-over and clean-up is the hard bound; `generationSeconds`
 * (tests, the local stack) may end generations earlier.
 */
export function generationLimitMs(now: number, functionEndsAt: number, deadline: number, generationSeconds: number | undefined): number | undefined {
  const lastCheckpointBy = functionEndsAt - CLEANUP_MARGIN_MS - HANDOVER_MS;
  const asked = generationSeconds === undefined ? undefined : generationSeconds * 1000;
  if (asked === undefined && deadline <= lastCheckpointBy) return undefined;
  return Math.max(1, Math.min(asked ?? Infinity, lastCheckpointBy - now));
}

/** When rank 0 must stop a program that did not end its generation: its function's end less the clean-up. */
export function functionTimeUpAt(functionEndsAt: number): number {
  return functionEndsAt - CLEANUP_MARGIN_MS;
}

/** A job longer than its run function whose program never ended its generation (it does not call checkpointIfDue). */
export class FunctionTimeUpError extends LambdaMpiError {
  constructor(readonly jobId: string, readonly generation: number, readonly functionSeconds: number, readonly remainingJobSeconds: number) {
    super(
      'FUNCTION_TIME_UP',
      `job ${jobId}: generation ${generation}'s run function reached its end (${functionSeconds} s) with ${remainingJobSeconds} s of the job's timeout left, ` +
        'and the program had not ended its generation. A job longer than one Lambda must call `await comm.checkpointIfDue(state)` in its loop ' +
        '(every rank, at a point where no message is in flight) and start from `(await comm.restore()) ?? initialState`: it then continues ' +
        'in a next generation from its checkpoint (docs/long-jobs.md). Or give it a timeoutSeconds within one function\'s time.',
    );
  }
}
