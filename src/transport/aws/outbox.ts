import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { TransportError } from '../../mpi/errors.ts';
import { packMessages, type MessageSeal, type WireFrame, type WireLimits } from './wire.ts';

interface Pending {
  wire: WireFrame;
  resolve(): void;
  reject(error: unknown): void;
}

interface Lane {
  pending: Pending[];
  inFlight: number;
  scheduled: boolean;
}

/** SendMessageBatch takes at most this many messages. */
export const MAX_BATCH_ENTRIES = 10;
/** Requests in flight per destination queue; more frames wait and share the next request. */
export const MAX_IN_FLIGHT_PER_QUEUE = 4;
const ENTRY_RETRIES = 3;

/**
 * Which messages go together in one SendMessageBatch call: in order, at most MAX_BATCH_ENTRIES
 * and at most `maxBatchBytes` of bodies per call (one oversized message still goes alone).
 * Returns the calls as lists of indexes into `messageLengths`.
 */
export function planBatchCalls(messageLengths: number[], maxBatchBytes: number): number[][] {
  const calls: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  messageLengths.forEach((length, index) => {
    if (current.length === MAX_BATCH_ENTRIES || (current.length > 0 && bytes + length > maxBatchBytes)) {
      calls.push(current);
      current = [];
      bytes = 0;
    }
    current.push(index);
    bytes += length;
  });
  if (current.length) calls.push(current);
  return calls;
}

/**
 * Outgoing frames, per destination queue. Frames sent in the same tick, or while the lane's
 * requests are in flight, are packed into shared messages and sent with SendMessageBatch, so a
 * burst of small sends costs a few requests rather than one each. Each send resolves when SQS has
 * stored the message that carries it.
 */
export class Outbox {
  private readonly lanes = new Map<string, Lane>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly sqs: SQSClient,
    private readonly limits: WireLimits,
    private readonly maxBatchBytes: number,
    private readonly seal: MessageSeal,
  ) {}

  send(queueUrl: string, wire: WireFrame): Promise<void> {
    let lane = this.lanes.get(queueUrl);
    if (!lane) {
      lane = { pending: [], inFlight: 0, scheduled: false };
      this.lanes.set(queueUrl, lane);
    }
    const sent = new Promise<void>((resolve, reject) => lane.pending.push({ wire, resolve, reject }));
    if (!lane.scheduled) {
      lane.scheduled = true;
      // Flush after the current synchronous burst, so frames sent together share messages.
      queueMicrotask(() => {
        lane.scheduled = false;
        this.flush(queueUrl, lane);
      });
    }
    return sent;
  }

  /** Resolves once every frame handed to send() so far has been stored or failed. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0 || [...this.lanes.values()].some((lane) => lane.pending.length > 0 || lane.scheduled)) {
      await Promise.allSettled([...this.inFlight]);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private flush(queueUrl: string, lane: Lane): void {
    while (lane.inFlight < MAX_IN_FLIGHT_PER_QUEUE && lane.pending.length > 0) {
      const batch = lane.pending;
      lane.pending = [];
      lane.inFlight++;
      const request = this.sendAll(queueUrl, batch)
        .then(() => batch.forEach((p) => p.resolve()), (error) => batch.forEach((p) => p.reject(error)))
        .finally(() => {
          lane.inFlight--;
          this.inFlight.delete(request);
          if (lane.pending.length > 0) this.flush(queueUrl, lane);
        });
      this.inFlight.add(request);
    }
  }

  /** Packs the frames into messages and sends them in SendMessageBatch calls within SQS's limits. */
  private async sendAll(queueUrl: string, batch: Pending[]): Promise<void> {
    const messages = packMessages(batch.map((p) => p.wire), this.limits, this.seal);
    const calls = planBatchCalls(messages.map((m) => m.length), this.maxBatchBytes);
    await Promise.all(calls.map((indexes) => this.sendBatch(queueUrl, indexes.map((i) => messages[i]!))));
  }

  private async sendBatch(queueUrl: string, bodies: string[]): Promise<void> {
    let entries = bodies.map((body, i) => ({ Id: String(i), MessageBody: body }));
    for (let attempt = 0; ; attempt++) {
      let response;
      try {
        response = await this.sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
      } catch (error) {
        throw new TransportError('SQS SendMessageBatch', `sending to ${queueUrl} failed: ${(error as Error).message}`, { cause: error });
      }
      const failed = response.Failed ?? [];
      if (failed.length === 0) return;
      const permanent = failed.find((f) => f.SenderFault);
      if (permanent || attempt >= ENTRY_RETRIES) {
        const f = permanent ?? failed[0]!;
        throw new TransportError('SQS SendMessageBatch', `${failed.length} message(s) to ${queueUrl} were refused: ${f.Code}: ${f.Message}`);
      }
      const retry = new Set(failed.map((f) => f.Id));
      entries = entries.filter((e) => retry.has(e.Id));
      await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
    }
  }
}
