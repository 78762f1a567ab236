import type { Message } from '@aws-sdk/client-sqs';
import type { AwsSettings } from '../../config.ts';
import { TransportError } from '../../mpi/errors.ts';
import { assertByteFrame, type Frame, type SharedObjects, type Transport } from '../transport.ts';
import { ClaimCheck, sharedObjectKey } from './claim-check.ts';
import type { AwsClients } from './clients.ts';
import { queueUrl, type JobQueues } from './job-resources.ts';
import { Outbox } from './outbox.ts';
import { QueueReceiver } from './receiver.ts';
import { unpackMessage, wireLimits, type WireLimits } from './wire.ts';

export interface AwsTransportOptions {
  clients: AwsClients;
  settings: AwsSettings;
  jobId: string;
  rank: number;
  size: number;
  queues: JobQueues;
  /** Test hook: leave some received messages undeleted so SQS redelivers them. */
  skipDelete?: (message: Message) => boolean;
}

/** Rank 0 waits this long past the deadline for the others' reports: a few SQS round trips. */
export const AWS_REPORT_GRACE_MS = 1_500;

/**
 * A rank's transport over SQS and S3: frames go to the destination rank's queue, packed and
 * batched; bodies above the claim-check threshold go to S3 first and the frame carries the claim.
 * Delivery is at least once and unordered, as SQS's; the link layer above restores the rest.
 */
export class AwsTransport implements Transport {
  readonly rank: number;
  readonly size: number;
  readonly reportGraceMs = AWS_REPORT_GRACE_MS;
  readonly limits: WireLimits;
  private readonly outbox: Outbox;
  private readonly claims: ClaimCheck;
  private receiver: QueueReceiver | undefined;
  private readonly sends = new Set<Promise<void>>();
  private closed: Promise<void> | undefined;
  private sharedCount = 0;
  /** Shared objects are S3 objects under the job's prefix, named by rank and count. */
  readonly sharedObjects: SharedObjects;

  constructor(private readonly options: AwsTransportOptions) {
    this.rank = options.rank;
    this.size = options.size;
    this.limits = wireLimits(options.settings.maxMessageBytes);
    this.outbox = new Outbox(options.clients.sqs, this.limits, options.settings.maxMessageBytes);
    this.claims = new ClaimCheck(options.clients.s3, options.settings.bucket, options.jobId);
    this.sharedObjects = {
      threshold: this.limits.claimCheckThreshold,
      put: async (bytes) => {
        const name = `${this.rank}-${this.sharedCount++}`;
        await this.claims.store(sharedObjectKey(options.jobId, this.rank, this.sharedCount - 1), bytes);
        return name;
      },
      get: async (name, length) => {
        const [rank, index] = name.split('-').map(Number) as [number, number];
        const bytes = await this.claims.load(sharedObjectKey(options.jobId, rank, index), length);
        if (!bytes) throw new TransportError('S3 GetObject', `shared object ${name} of job ${options.jobId} is gone (the job is over)`);
        return bytes;
      },
    };
  }

  send(frame: Frame): Promise<void> {
    const sent = this.store(frame);
    this.sends.add(sent);
    void sent.catch(() => undefined).finally(() => this.sends.delete(sent));
    return sent;
  }

  private async store(frame: Frame): Promise<void> {
    assertByteFrame(frame);
    const claimChecked = frame.body.byteLength > this.limits.claimCheckThreshold;
    if (claimChecked) await this.claims.put(frame);
    await this.outbox.send(queueUrl(this.options.queues, frame.dest), { frame, claimChecked });
  }

  start(deliver: (frame: Frame) => void, onError: (error: Error) => void): void {
    this.receiver = new QueueReceiver({
      sqs: this.options.clients.sqs,
      queueUrl: queueUrl(this.options.queues, this.rank),
      waitSeconds: this.options.settings.receiveWaitSeconds,
      handle: (messages) => this.handle(messages, deliver),
      onError,
      ...(this.options.skipDelete ? { skipDelete: this.options.skipDelete } : {}),
    });
    this.receiver.start();
  }

  /** Delivers every frame of the messages (fetching claim-checked bodies); returns the messages to delete. */
  private async handle(messages: Message[], deliver: (frame: Frame) => void): Promise<Message[]> {
    await Promise.all(messages.map(async (message) => {
      for (const parsed of unpackMessage(message.Body ?? '')) {
        if (!parsed.claimChecked) {
          deliver(parsed.frame);
          continue;
        }
        const body = await this.claims.fetch(parsed.frame, parsed.bodyLength);
        // No object: the job's objects were already cleaned up, so the job is over.
        if (body) deliver({ ...parsed.frame, body });
      }
    }));
    return messages;
  }

  /** When this rank's queue was last seen drained, every message before handled (receiver.ts). */
  caughtUpAt(): number | undefined {
    return this.receiver?.caughtUpAt;
  }

  /** Finishes the sends in progress, then stops receiving. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      await Promise.allSettled([...this.sends]);
      await this.outbox.drain();
      await this.receiver?.stop();
    })();
    return this.closed;
  }
}
