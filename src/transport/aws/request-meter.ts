import { VALKEY_ECPU_BYTES } from '../../cost/price-table.ts';
import { addRequestCounts, type AwsService, type RequestCounts } from '../request-counts.ts';

/**
 * The services billed per slice of what a request moves, and the field their counts carry it in
 * (request-counts.ts): SQS per 64 KiB chunk, Valkey per ECPU (a KiB); at least one a request.
 */
const BILLED_BY_BYTES: Partial<Record<AwsService, { unit: 'billedChunks' | 'ecpus'; bytes: number }>> = {
  sqs: { unit: 'billedChunks', bytes: 64 * 1024 },
  valkey: { unit: 'ecpus', bytes: VALKEY_ECPU_BYTES },
};

interface MeteredClient {
  middlewareStack: {
    add(middleware: (next: (args: any) => Promise<any>, context: { commandName?: string }) => (args: any) => Promise<any>, options: { step: 'deserialize'; name: string; priority: 'high' }): void;
  };
}

/**
 * Counts the requests an SDK client sends (or a Valkey connection's commands, valkey-connection.ts),
 * by service and operation, with the bytes each way: what a job's requests were
 * (RunResult.requests) and what they cost. Every attempt is counted
 * (AWS bills retries too), failures included (a GET of a missing key is billed as a GET).
 */
export class RequestMeter {
  private readonly counts: RequestCounts = {};

  /** Counts every request `client` sends from now on. */
  attach(client: MeteredClient, service: AwsService): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const sent = bodyBytes(args.request);
        let received = 0;
        try {
          const result = await next(args);
          received = contentLength(result?.response);
          return result;
        } catch (error) {
          received = contentLength((error as { $response?: unknown }).$response);
          throw error;
        } finally {
          this.record(service, context.commandName?.replace(/Command$/, '') ?? 'unknown', sent, received);
        }
      },
      { step: 'deserialize', name: 'lambdaMpiRequestMeter', priority: 'high' },
    );
  }

  record(service: AwsService, operation: string, bytesSent: number, bytesReceived: number): void {
    const byOperation = (this.counts[service] ??= {});
    const billed = BILLED_BY_BYTES[service];
    const count = (byOperation[operation] ??= { requests: 0, bytesSent: 0, bytesReceived: 0, ...(billed ? { [billed.unit]: 0 } : {}) });
    count.requests++;
    count.bytesSent += bytesSent;
    count.bytesReceived += bytesReceived;
    if (billed) count[billed.unit]! += Math.max(1, Math.ceil(Math.max(bytesSent, bytesReceived) / billed.bytes));
  }

  /** A copy of the counts so far. */
  snapshot(): RequestCounts {
    return addRequestCounts({}, this.counts);
  }
}

function bodyBytes(request: { headers?: Record<string, string>; body?: unknown } | undefined): number {
  if (!request) return 0;
  const header = request.headers?.['content-length'] ?? request.headers?.['Content-Length'];
  if (header !== undefined) return Number(header) || 0;
  const { body } = request;
  if (typeof body === 'string') return Buffer.byteLength(body);
  if (body instanceof Uint8Array) return body.byteLength;
  return 0;
}

function contentLength(response: unknown): number {
  const headers = (response as { headers?: Record<string, string> } | undefined)?.headers;
  return Number(headers?.['content-length'] ?? 0) || 0;
}
