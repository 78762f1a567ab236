import { ChangeMessageVisibilityBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { TransportError } from '../../mpi/errors.ts';
import { BatchDeleter } from './batch-deleter.ts';

export interface ReceiverOptions {
  sqs: SQSClient;
  queueUrl: string;
  waitSeconds: number;
  /** Long polls in flight at most, when messages keep coming. */
  maxPollers?: number;
  /**
   * Handles the messages of one receive: those `done` get deleted; those to handle `again` are
   * made visible again after AGAIN_AFTER_SECONDS, for another try (SQS brings them back).
   */
  handle(messages: Message[]): Promise<HandledMessages>;
  /** The queue cannot be read any more (after retries): the rank must fail. */
  onError(error: TransportError): void;
  /** Test hook: decides to leave a handled message undeleted, so SQS delivers it again. */
  skipDelete?: (message: Message) => boolean;
}

/** Drained polls waiting for their confirmation at once, at most. */
const MAX_DRAINED_WAITING = 64;

export interface HandledMessages {
  done: Message[];
  again: Message[];
}

/**
 * How soon a message handled `again` comes back: long enough for what it waits on (an earlier
 * message SQS delayed) to arrive, short enough not to stall its sender's stream for the queue's
 * whole visibility timeout.
 */
export const AGAIN_AFTER_SECONDS = 1;

const MAX_CONSECUTIVE_ERRORS = 5;
/** ChangeMessageVisibilityBatch takes at most this many receipt handles. */
const MAX_VISIBILITY_BATCH = 10;
/** Polls in flight at most per queue while messages keep coming. */
export const MAX_POLLERS = 4;
/** What a long poll (waiting for the next message) asks for: see the class comment for why one. */
export const LONG_POLL_MESSAGES = 1;
/** What a poll asks for while messages keep coming: as many as one ReceiveMessage gives. */
export const DRAIN_POLL_MESSAGES = 10;

/**
 * The receive side of one rank's queue. Waiting for traffic, a poll is a long poll asking for one
 * message, so it returns the moment anything arrives — on real SQS, and on emulators that hold a
 * long poll until MaxNumberOfMessages are there (local-aws-sqs does: asking it for 10 would cost
 * a whole wait per message). Once a poll brought something, the same poller drains the queue
 * with polls that wait for nothing and take up to ten (a backlog, such as the reports of
 * thousands of ranks to rank 0, comes ten at a time instead of one); the first that comes back
 * empty sends it back to long polling. While messages keep arriving, up to `maxPollers` pollers
 * run side by side; a poller whose poll comes back empty retires, down to one.
 * Handled messages are deleted in batches, off the delivery path.
 */
export class QueueReceiver {
  private readonly abort = new AbortController();
  private readonly work = new Set<Promise<unknown>>();
  private readonly deleter: BatchDeleter;
  private readonly maxPollers: number;
  private pollers = 0;
  private errors = 0;
  private stopped = false;
  /** Handlings of received messages not yet finished, by id. */
  private readonly handling = new Set<number>();
  private nextHandling = 0;
  /** Polls in flight, by id. */
  private readonly polling = new Set<number>();
  private nextPoll = 0;
  /**
   * Polls that took all the queue held (`at`: when each was sent), each waiting for what may hold
   * messages taken before it: the polls in flight beside it, and the handling of what any of them
   * (and it) received. Kept side by side: a newer one must not displace an older one that is
   * about to be confirmed, or under steady traffic none ever would be.
   */
  private readonly drained: Array<{ at: number; polls: Set<number>; handlings: Set<number> }> = [];
  /**
   * When the queue was last seen drained (epoch ms): the moment a poll was sent that brought fewer
   * messages than it asked for (so all the queue held then, but what other polls in flight had
   * taken), confirmed once those polls answered and every message received was handled.
   * Whatever reached the queue before then has been delivered (what liveness judges silence by).
   */
  caughtUpAt: number | undefined;

  constructor(private readonly options: ReceiverOptions) {
    this.maxPollers = options.maxPollers ?? MAX_POLLERS;
    this.deleter = new BatchDeleter(options.sqs, options.queueUrl);
  }

  start(): void {
    this.spawnPoller();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    while (this.work.size > 0) await Promise.allSettled([...this.work]);
    this.deleter.discard();
  }

  private spawnPoller(): void {
    this.pollers++;
    this.track(this.poll());
  }

  private async poll(): Promise<void> {
    const { sqs, queueUrl, waitSeconds } = this.options;
    let draining = false;
    while (!this.stopped) {
      let messages: Message[];
      const sentAt = Date.now();
      const id = this.nextPoll++;
      this.polling.add(id);
      try {
        const response = await sqs.send(
          new ReceiveMessageCommand(draining
            ? { QueueUrl: queueUrl, MaxNumberOfMessages: DRAIN_POLL_MESSAGES, WaitTimeSeconds: 0 }
            : { QueueUrl: queueUrl, MaxNumberOfMessages: LONG_POLL_MESSAGES, WaitTimeSeconds: waitSeconds }),
          { abortSignal: this.abort.signal },
        );
        messages = response.Messages ?? [];
        this.errors = 0;
      } catch (error) {
        if (this.stopped) break;
        if (++this.errors >= MAX_CONSECUTIVE_ERRORS) {
          this.fail(new TransportError('SQS ReceiveMessage', `reading ${queueUrl} failed ${this.errors} times in a row: ${(error as Error).message}`, { cause: error }));
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** this.errors));
        continue;
      } finally {
        this.polling.delete(id);
      }
      const handling = messages.length > 0 ? this.nextHandling++ : undefined;
      // What this poll took is now the handling's to finish, for every drained poll that waits on it.
      for (const waiting of this.drained) {
        if (!waiting.polls.delete(id)) continue;
        if (handling !== undefined) waiting.handlings.add(handling);
      }
      if (messages.length < (draining ? DRAIN_POLL_MESSAGES : LONG_POLL_MESSAGES)) {
        const handlings = new Set(this.handling);
        if (handling !== undefined) handlings.add(handling);
        this.drained.push({ at: sentAt, polls: new Set(this.polling), handlings });
        // A handling that never ends would hold every later record: keep the newest few.
        if (this.drained.length > MAX_DRAINED_WAITING) this.drained.shift();
      }
      if (handling !== undefined) this.track(this.handle(messages, handling));
      this.confirmCaughtUp();
      if (messages.length === 0) {
        draining = false;
        if (this.pollers > 1) break; // traffic stopped: one poll is enough to notice the next message
        continue;
      }
      draining = true;
      if (this.pollers < this.maxPollers) this.spawnPoller();
    }
    this.pollers--;
  }

  /** A drained poll counts once the polls in flight beside it answered and what they received is handled. */
  private confirmCaughtUp(): void {
    let newest = -1;
    for (let i = 0; i < this.drained.length; i++) {
      const waiting = this.drained[i]!;
      if (waiting.polls.size === 0 && waiting.handlings.size === 0) newest = i;
    }
    if (newest < 0) return;
    const confirmed = this.drained[newest]!;
    // Older records are covered by the newer moment: the queue was caught up to it.
    this.drained.splice(0, newest + 1);
    if (confirmed.at > (this.caughtUpAt ?? 0)) this.caughtUpAt = confirmed.at;
  }

  private async handle(messages: Message[], id: number): Promise<void> {
    let handled: HandledMessages;
    this.handling.add(id);
    try {
      handled = await this.options.handle(messages);
    } catch (error) {
      this.fail(error instanceof TransportError ? error : new TransportError('receive', (error as Error).message, { cause: error }));
      return;
    } finally {
      this.handling.delete(id);
      for (const waiting of this.drained) waiting.handlings.delete(id);
      this.confirmCaughtUp();
    }
    if (this.stopped) return;
    for (const message of handled.done) {
      // A message left undeleted comes back after its visibility timeout; the link layer drops it.
      if (!this.options.skipDelete?.(message)) this.deleter.add(message.ReceiptHandle!);
    }
    if (handled.again.length > 0) this.showAgainSoon(handled.again);
  }

  /** Makes messages visible again after AGAIN_AFTER_SECONDS; if that fails, the queue's visibility timeout brings them back. */
  private showAgainSoon(messages: Message[]): void {
    for (let i = 0; i < messages.length; i += MAX_VISIBILITY_BATCH) {
      const batch = messages.slice(i, i + MAX_VISIBILITY_BATCH);
      this.options.sqs.send(new ChangeMessageVisibilityBatchCommand({
        QueueUrl: this.options.queueUrl,
        Entries: batch.map((message, n) => ({ Id: String(n), ReceiptHandle: message.ReceiptHandle!, VisibilityTimeout: AGAIN_AFTER_SECONDS })),
      })).catch(() => undefined);
    }
  }

  private fail(error: TransportError): void {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    this.options.onError(error);
  }

  private track(work: Promise<unknown>): void {
    this.work.add(work);
    void work.finally(() => this.work.delete(work));
  }
}
