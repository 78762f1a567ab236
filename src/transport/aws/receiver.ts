import { ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { TransportError } from '../../mpi/errors.ts';
import { BatchDeleter } from './batch-deleter.ts';

export interface ReceiverOptions {
  sqs: SQSClient;
  queueUrl: string;
  waitSeconds: number;
  /** Long polls in flight at most, when messages keep coming. */
  maxPollers?: number;
  /** Handles the messages of one receive; the messages whose handling succeeded get deleted. */
  handle(messages: Message[]): Promise<Message[]>;
  /** The queue cannot be read any more (after retries): the rank must fail. */
  onError(error: TransportError): void;
  /** Test hook: decides to leave a handled message undeleted, so SQS delivers it again. */
  skipDelete?: (message: Message) => boolean;
}

const MAX_CONSECUTIVE_ERRORS = 5;

/**
 * The receive side of one rank's queue: long polls asking for one message each, so a poll
 * returns the moment anything arrives — on real SQS, and on emulators that hold a long poll
 * until MaxNumberOfMessages are there (local-aws-sqs does: asking it for 10 would cost a whole
 * wait per message). Throughput comes from elsewhere: senders pack many frames
 * into one message, and while messages keep arriving, up to `maxPollers` polls run side by side;
 * a poll that comes back empty retires, down to one.
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

  constructor(private readonly options: ReceiverOptions) {
    this.maxPollers = options.maxPollers ?? 4;
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
    while (!this.stopped) {
      let messages: Message[];
      try {
        const response = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: waitSeconds }),
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
      }
      if (messages.length === 0) {
        if (this.pollers > 1) break; // traffic stopped: one poll is enough to notice the next message
        continue;
      }
      if (this.pollers < this.maxPollers) this.spawnPoller();
      this.track(this.handle(messages));
    }
    this.pollers--;
  }

  private async handle(messages: Message[]): Promise<void> {
    let handled: Message[];
    try {
      handled = await this.options.handle(messages);
    } catch (error) {
      this.fail(error instanceof TransportError ? error : new TransportError('receive', (error as Error).message, { cause: error }));
      return;
    }
    if (this.stopped) return;
    for (const message of handled) {
      // A message left undeleted comes back after its visibility timeout; the link layer drops it.
      if (!this.options.skipDelete?.(message)) this.deleter.add(message.ReceiptHandle!);
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
