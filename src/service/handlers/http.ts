import { handleHttp, type HttpEvent } from '../http-api.ts';

/** POST /runs and GET /runs/{jobId} through API Gateway. */
export async function handler(event: HttpEvent, context?: { awsRequestId?: string }): Promise<unknown> {
  return handleHttp(event, context?.awsRequestId);
}
