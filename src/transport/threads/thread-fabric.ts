import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Doorbells } from './doorbell.ts';
import { createRingMemory } from './frame-ring.ts';

/** What the owner of a job's threads tells a rank: here is your channel to `peer`. */
export interface PeerChannel {
  type: 'peer';
  peer: number;
  port: MessagePort;
  /** Shared memory for small frames to `peer` (FrameRing), and for those from it. */
  outgoing: SharedArrayBuffer;
  incoming: SharedArrayBuffer;
}

/**
 * The job's side of the transport between threads, in the thread that owns the ranks' threads:
 * it pairs ranks on request. Channels are made lazily, one per pair of ranks that ever talk, so
 * a 64-rank job whose ranks only report to rank 0 makes 63 of them, not 2,016.
 */
export class ThreadFabric {
  /** See ThreadTransportOptions.doorbells. */
  readonly doorbells: SharedArrayBuffer;
  private readonly paired = new Set<number>();

  constructor(
    readonly size: number,
    /** Hands a message (with its port) to a rank's thread. */
    private readonly toRank: (rank: number, message: PeerChannel, transfer: MessagePort[]) => void,
  ) {
    this.doorbells = Doorbells.memoryFor(size);
  }

  /** Rank `from` wants to send to `to`: both get their end of a new channel, once per pair. */
  connect(from: number, to: number): void {
    if (!Number.isInteger(to) || to < 0 || to >= this.size || to === from) return;
    const key = Math.min(from, to) * this.size + Math.max(from, to);
    if (this.paired.has(key)) return;
    this.paired.add(key);
    const { port1, port2 } = new MessageChannel();
    const forward = createRingMemory();
    const backward = createRingMemory();
    this.toRank(from, { type: 'peer', peer: to, port: port1, outgoing: forward, incoming: backward }, [port1]);
    this.toRank(to, { type: 'peer', peer: from, port: port2, outgoing: backward, incoming: forward }, [port2]);
  }
}
