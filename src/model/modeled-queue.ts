import { DELETE_LINGER_MS, MAX_DELETE_BATCH } from '../transport/aws/batch-deleter.ts';
import { AGAIN_AFTER_SECONDS, DRAIN_POLL_MESSAGES, LONG_POLL_MESSAGES, MAX_POLLERS } from '../transport/aws/receiver.ts';
import type { Delivery, Frame } from '../transport/transport.ts';
import type { ModeledAws } from './modeled-aws.ts';
import type { EventHandle } from './scheduler.ts';
import { claimCheckKey } from '../job-store/keys.ts';

/** A frame inside a modeled message; its body rides along, its size is what the wire would carry. */
export interface ModeledFrame {
  frame: Frame;
  /** Its body is an S3 object of `bodyBytes`; the message holds only the header. */
  claimChecked: boolean;
  bodyBytes: number;
}

export interface ModeledMessage {
  frames: ModeledFrame[];
  /** The message body's length (base64 text). */
  bytes: number;
}

interface Poll {
  /** Messages it takes at most. */
  max: number;
  /** A long poll waits for the first message; a draining one answers at once, empty or not. */
  long: boolean;
  answer(messages: ModeledMessage[], time: number): void;
  expiry?: EventHandle;
}

/** One rank's SQS queue: visible messages in arrival order, and the long polls waiting on it. */
export class ModeledQueue {
  private visible: ModeledMessage[] = [];
  private waiting: Poll[] = [];
  private read = true;

  constructor(
    private readonly aws: ModeledAws,
    private readonly waitMs: number,
  ) {}

  /** Messages stored together become visible at `time`; waiting polls take them first. */
  arrive(messages: ModeledMessage[], time: number): void {
    let next = 0;
    while (next < messages.length && this.waiting.length > 0) {
      const poll = this.waiting.shift()!;
      poll.expiry?.cancel();
      const taken = messages.slice(next, next + poll.max);
      next += taken.length;
      poll.answer(taken, time);
    }
    if (!this.read) return;
    for (; next < messages.length; next++) {
      this.visible.push(messages[next]!);
      this.aws.backlog++;
    }
  }

  /**
   * A poll reaches the queue at `time`: answered at once when messages wait (or when it does not
   * wait), else at the first arrival or after the wait.
   */
  poll(poll: Poll, time: number): void {
    if (this.visible.length > 0 || !poll.long) {
      const taken = this.visible.splice(0, poll.max);
      this.aws.backlog -= taken.length;
      poll.answer(taken, time);
      return;
    }
    this.waiting.push(poll);
    poll.expiry = this.aws.scheduler.atService(time + this.waitMs, (at) => {
      this.waiting = this.waiting.filter((p) => p !== poll);
      poll.answer([], at);
    }, { idle: true });
  }

  /** Its rank stopped reading: what waits here will never be received. */
  abandon(): void {
    this.read = false;
    this.aws.backlog -= this.visible.length;
    this.visible = [];
    for (const poll of this.waiting) poll.expiry?.cancel();
    this.waiting = [];
  }
}

/**
 * The receive loop of one rank, as src/transport/aws/receiver.ts runs it: a poller long-polls for
 * LONG_POLL_MESSAGES; once a poll brought messages it drains with polls that take up to
 * DRAIN_POLL_MESSAGES at once, back to long polling when one comes back empty; while traffic
 * lasts, a further poller joins, up to MAX_POLLERS; a poller whose poll came back empty retires
 * unless it is the last. Claim-checked bodies are fetched from S3 in message order; handled
 * messages are deleted in batches.
 */
export class ModeledReceiver {
  private pollers = 0;
  private stopped = false;
  private pendingDeletes = 0;
  private deleteLinger: EventHandle | undefined;

  constructor(
    private readonly aws: ModeledAws,
    private readonly rank: number,
    private readonly jobId: string,
    private readonly queue: ModeledQueue,
    private readonly deliver: (frame: Frame) => Delivery,
  ) {}

  start(time: number): void {
    this.spawn(time);
  }

  stop(): void {
    this.stopped = true;
    this.queue.abandon();
    this.deleteLinger?.cancel();
  }

  private spawn(time: number): void {
    this.pollers++;
    this.issue(time, false);
  }

  private issue(time: number, draining: boolean): void {
    if (this.stopped) return;
    const latency = this.aws.pollLatency();
    this.aws.counts.sqsCall('ReceiveMessage');
    const poll: Poll = {
      max: draining ? DRAIN_POLL_MESSAGES : LONG_POLL_MESSAGES,
      long: !draining,
      answer: (messages, answeredAt) => this.answered(messages, answeredAt, latency),
    };
    this.aws.scheduler.atService(time + latency / 2, (at) => {
      if (!this.stopped) this.queue.poll(poll, at);
    }, { idle: true });
  }

  private answered(messages: ModeledMessage[], time: number, latency: number): void {
    const bytes = messages.reduce((sum, m) => sum + m.bytes, 0);
    const { scheduler } = this.aws;
    this.aws.sqsAnswer(this.rank, bytes, time, latency, (arrived) => {
      if (messages.length === 0) {
        scheduler.atService(arrived, (at) => {
          if (this.stopped) return;
          if (this.pollers > 1) this.pollers--;
          else this.issue(at, false);
        }, { idle: true });
        return;
      }
      scheduler.atTurn(this.rank, arrived, () => {
        if (this.stopped) return;
        scheduler.afterTurn(this.rank, (end) => {
          this.issue(end, true);
          if (this.pollers < MAX_POLLERS) this.spawn(end);
        });
        for (const message of messages) this.handle(message, 0);
      });
    });
  }

  /** Delivers the frames of `message` from `index` on, in order; a claim-checked body is fetched first. */
  private handle(message: ModeledMessage, index: number): void {
    const { scheduler } = this.aws;
    for (let i = index; i < message.frames.length; i++) {
      const item = message.frames[i]!;
      if (!item.claimChecked) {
        this.offer(item.frame);
        continue;
      }
      scheduler.afterTurn(this.rank, (end) => {
        this.aws.s3Get(this.rank, claimCheckKey(this.jobId, item.frame), item.bodyBytes, end, (fetched) => {
          scheduler.atTurn(this.rank, fetched, () => {
            if (this.stopped) return;
            this.offer(item.frame);
            this.handle(message, i + 1);
          });
        });
      });
      return;
    }
    scheduler.afterTurn(this.rank, (end) => this.handled(end));
  }

  /**
   * Delivers a frame; one the link layer cannot hold yet (too far ahead) comes again
   * AGAIN_AFTER_SECONDS later, as the AWS transport has SQS bring its message back (the polls
   * that bring it are not counted).
   */
  private offer(frame: Frame): void {
    if (this.deliver(frame) === 'taken') return;
    const { scheduler } = this.aws;
    scheduler.afterTurn(this.rank, (end) => {
      scheduler.atTurn(this.rank, end + AGAIN_AFTER_SECONDS * 1000, () => {
        if (!this.stopped) this.offer(frame);
      });
    });
  }

  private handled(time: number): void {
    if (this.stopped) return;
    this.pendingDeletes++;
    if (this.pendingDeletes >= MAX_DELETE_BATCH) {
      this.flushDeletes(time);
      return;
    }
    this.deleteLinger ??= this.aws.scheduler.atService(time + DELETE_LINGER_MS, (at) => this.flushDeletes(at), { idle: true });
  }

  private flushDeletes(time: number): void {
    this.deleteLinger?.cancel();
    this.deleteLinger = undefined;
    while (this.pendingDeletes > 0) {
      this.aws.sqsSmall('DeleteMessageBatch', time);
      this.pendingDeletes -= Math.min(MAX_DELETE_BATCH, this.pendingDeletes);
    }
  }
}
