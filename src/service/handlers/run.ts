import { beginInvocation } from '../invocation.ts';
import { processStartsWithInit } from '../lambda-config.ts';
import { runRankZeroLambda } from '../rank-zero-lambda.ts';
import { runPulseThreadIfAsked } from '../pulse-thread.ts';
import { failureInfo } from '../failure-info.ts';

// Loaded again in a thread of its own, this bundle is the rank's pulse (pulse.ts).
runPulseThreadIfAsked();

interface LambdaContext {
  getRemainingTimeInMillis(): number;
}

/**
 * Rank 0 of a job. `sls invoke -f run --data '{"program":"pi","size":8}'` calls it
 * synchronously: it answers with the RunResult, or fails with the job's error. Started by the
 * HTTP function (mode "async") it must never throw, so the failure is only recorded.
 */
export async function handler(event: unknown, context: LambdaContext): Promise<unknown> {
  const invocation = beginInvocation(processStartsWithInit());
  const remainingMs = context.getRemainingTimeInMillis();
  if ((event as { mode?: string } | null)?.mode !== 'async') return runRankZeroLambda(event, remainingMs, invocation);
  try {
    return await runRankZeroLambda(event, remainingMs, invocation);
  } catch (error) {
    const jobId = (event as { jobId?: string }).jobId;
    console.error(`[job ${jobId}] lambda-mpi: job failed: ${(error as Error).message}`);
    return { status: 'failed', error: failureInfo(error) };
  }
}
