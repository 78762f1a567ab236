import type { Frame, Transport } from '../transport.ts';
import { EventLoopTurns } from './event-loop-turns.ts';

/**
 * The in-process transport: frames are handed to the destination's link layer synchronously,
 * so a send is "stored" the moment it returns (its promise may wait for a turn of the event loop:
 * `EventLoopTurns`). Frames for a rank that has not started yet wait
 * in its inbox; frames for a closed rank are dropped, as a deleted queue would.
 */
export class MemoryFabric {
  readonly size: number;
  private readonly receivers: Array<((frame: Frame) => void) | undefined>;
  private readonly inboxes: Frame[][];
  private readonly closed: boolean[];
  readonly turns = new EventLoopTurns();

  constructor(size: number) {
    this.size = size;
    this.receivers = new Array(size).fill(undefined);
    this.inboxes = Array.from({ length: size }, () => []);
    this.closed = new Array(size).fill(false);
  }

  transport(rank: number): Transport {
    return new MemoryTransport(this, rank);
  }

  route(frame: Frame): void {
    if (this.closed[frame.dest]) return;
    const receiver = this.receivers[frame.dest];
    if (receiver) receiver(frame);
    else this.inboxes[frame.dest]!.push(frame);
  }

  attach(rank: number, deliver: (frame: Frame) => void): void {
    this.receivers[rank] = deliver;
    const waiting = this.inboxes[rank]!;
    this.inboxes[rank] = [];
    for (const frame of waiting) deliver(frame);
  }

  detach(rank: number): void {
    this.closed[rank] = true;
    this.receivers[rank] = undefined;
    this.inboxes[rank] = [];
  }
}

class MemoryTransport implements Transport {
  readonly reportGraceMs = 20;
  readonly inProcess = true;
  readonly sameThread = true;
  constructor(
    private readonly fabric: MemoryFabric,
    readonly rank: number,
  ) {}

  get size(): number {
    return this.fabric.size;
  }

  send(frame: Frame): Promise<void> {
    this.fabric.route(frame);
    return this.fabric.turns.afterSend();
  }

  start(deliver: (frame: Frame) => void): void {
    this.fabric.attach(this.rank, deliver);
  }

  close(): Promise<void> {
    this.fabric.detach(this.rank);
    return Promise.resolve();
  }
}
