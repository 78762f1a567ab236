import { beginInvocation } from '../invocation.ts';
import { processStartsWithInit } from '../lambda-config.ts';
import { runWorkerLambda } from '../worker-lambda.ts';
import { runPulseThreadIfAsked } from '../pulse-thread.ts';

// Loaded again in a thread of its own, this bundle is the rank's pulse (pulse.ts).
runPulseThreadIfAsked();

interface LambdaContext {
  getRemainingTimeInMillis(): number;
}

/** Ranks 1..N-1, started asynchronously by rank 0 and by each other (a tree). Never throws. */
export async function handler(event: unknown, context: LambdaContext): Promise<unknown> {
  const invocation = beginInvocation(processStartsWithInit());
  return runWorkerLambda(event, context.getRemainingTimeInMillis(), invocation);
}
