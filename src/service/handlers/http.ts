import { AnswerBudget } from '../answer-budget.ts';
import { handleHttp, type HttpEvent } from '../http-api.ts';

/** POST /runs, GET and DELETE /runs/{jobId} through API Gateway. */
export async function handler(event: HttpEvent, context?: { awsRequestId?: string; getRemainingTimeInMillis?: () => number }): Promise<unknown> {
  const budget = AnswerBudget.forRequest({
    arrivedAt: event.requestContext?.requestTimeEpoch,
    remainingTimeMs: context?.getRemainingTimeInMillis?.(),
  });
  return handleHttp(event, context?.awsRequestId, { budget });
}
