import type { Message } from '@aws-sdk/client-sqs';
import type { AwsSettings } from '../../config.ts';
import { noRejections } from '../../mpi/p2p/link.ts';
import { assertByteFrame, type Delivery, type Frame, type PendingUploadNotes, type RejectedMessages, type SharedObjects, type Transport } from '../transport.ts';
import { notePendingUpload } from '../../job-store/pending-uploads.ts';
import { S3CheckpointObjects } from './checkpoint-objects.ts';
import { ClaimCheck, s3SharedObjects } from './claim-check.ts';
import type { AwsClients } from './clients.ts';
import { DIGEST_BYTES, type JobKey } from './job-key.ts';
import { queueUrl, type JobQueues } from './job-resources.ts';
import { Outbox } from './outbox.ts';
import { QueueReceiver, type HandledMessages } from './receiver.ts';
import { openMessage, refusalLine, wireLimits, type MessageRejection, type MessageSeal, type WireLimits } from './wire.ts';
import { SendsInFlight } from '../sends-in-flight.ts';

export interface AwsTransportOptions {
  clients: AwsClients;
  settings: AwsSettings;
  jobId: string;
  rank: number;
  size: number;
  queues: JobQueues;
  /** The job's key (job-key.ts): every message is sealed with it, and one that fails its check is dropped. */
  jobKey: JobKey;
  /** Where the one line per kind of refused message goes (standard error by default). */
  warn?: (line: string) => void;
  /** Test hook: leave some received messages undeleted so SQS redelivers them. */
  skipDelete?: (message: Message) => boolean;
  /** Test hook: leave a message unhandled this time, as if SQS had delayed it (it comes back after the visibility timeout). */
  delay?: (message: Message) => boolean;
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
  private readonly sends = new SendsInFlight();
  private closed: Promise<void> | undefined;
  private readonly seal: MessageSeal;
  readonly rejected: RejectedMessages = noRejections();
  /** Shared objects are S3 objects under the job's prefix, named by rank, count and SHA-256. */
  readonly sharedObjects: SharedObjects;
  /** The job's checkpoints: S3 objects under its prefix (checkpoint-objects.ts). */
  readonly checkpoints: S3CheckpointObjects;
  /** A file's uploads, noted under the job's prefix for its cleanup. */
  readonly pendingUploads: PendingUploadNotes;

  constructor(private readonly options: AwsTransportOptions) {
    this.rank = options.rank;
    this.size = options.size;
    this.limits = wireLimits(options.settings.maxMessageBytes);
    this.seal = { jobId: options.jobId, key: options.jobKey };
    this.outbox = new Outbox(options.clients.sqs, this.limits, options.settings.maxMessageBytes, this.seal);
    this.claims = new ClaimCheck(options.clients.s3, options.settings.bucket, options.jobId);
    this.sharedObjects = s3SharedObjects(this.claims, options.jobId, this.rank, this.limits.claimCheckThreshold);
    this.checkpoints = new S3CheckpointObjects(options.clients.s3, options.settings.bucket, options.jobId, this.claims);
    this.pendingUploads = { note: (upload) => notePendingUpload(options.clients.s3, options.settings.bucket, options.jobId, upload) };
  }

  send(frame: Frame): Promise<void> {
    return this.sends.track(this.store(frame));
  }

  private async store(frame: Frame): Promise<void> {
    assertByteFrame(frame);
    const url = queueUrl(this.options.queues, frame.dest);
    if (frame.body.byteLength <= this.limits.claimCheckThreshold) return this.outbox.send(url, { frame, claimChecked: false });
    const bodyDigest = await this.claims.put(frame);
    await this.outbox.send(url, { frame, claimChecked: true, bodyDigest });
  }

  start(deliver: (frame: Frame) => Delivery, onError: (error: Error) => void): void {
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

  /**
   * Authenticates each message before any of its frames reaches the link layer, then delivers its
   * frames in order (fetching and checking claim-checked bodies). A refused message is counted
   * and deleted; a message with a frame the link layer could not hold yet (too far ahead) is
   * handled again shortly: its other frames come back as duplicates, which the link drops.
   */
  private async handle(messages: Message[], deliver: (frame: Frame) => Delivery): Promise<HandledMessages> {
    const done: Message[] = [];
    const again: Message[] = [];
    await Promise.all(messages.map(async (message) => {
      if (this.options.delay?.(message)) return;
      (await this.deliverFrames(message, deliver) === 'later' ? again : done).push(message);
    }));
    return { done, again };
  }

  private async deliverFrames(message: Message, deliver: (frame: Frame) => Delivery): Promise<Delivery> {
    const opened = openMessage(message.Body ?? '', this.seal, this.rank);
    if ('rejected' in opened) {
      this.refuse(opened.rejected, opened.why);
      return 'taken';
    }
    let delivery: Delivery = 'taken';
    for (const parsed of opened.frames) {
      let frame = parsed.frame;
      if (parsed.claimChecked) {
        const fetched = await this.claims.fetch(frame, parsed.bodyLength, parsed.bodyDigest ?? new Uint8Array(DIGEST_BYTES));
        // No object: the job's objects were already cleaned up, so the job is over.
        if ('gone' in fetched) continue;
        if ('mismatch' in fetched) {
          this.refuse('badClaim', fetched.mismatch);
          continue;
        }
        frame = { ...frame, body: fetched.bytes };
      }
      if (deliver(frame) === 'later') delivery = 'later';
    }
    return delivery;
  }

  /** Counts a refused message; says so once per kind, so a flood of them is not a flood of lines. */
  private refuse(why: MessageRejection, detail: string): void {
    if (this.rejected[why]++ > 0) return;
    (this.options.warn ?? ((text: string) => process.stderr.write(`${text}\n`)))(refusalLine(this.options.jobId, this.rank, why, detail));
  }

  /** When this rank's queue was last seen drained, every message before handled (receiver.ts). */
  caughtUpAt(): number | undefined {
    return this.receiver?.caughtUpAt;
  }

  /** Finishes the sends in progress, then stops receiving. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.sends.settled();
      await this.outbox.drain();
      await this.receiver?.stop();
    })();
    return this.closed;
  }
}
