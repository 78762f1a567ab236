import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { InProcessValue } from '../../mpi/codec/codec.ts';
import type { WaitDescription } from '../../mpi/p2p/wait-description.ts';
import type { Frame, Transport } from '../transport.ts';
import { FrameRing } from './frame-ring.ts';

/**
 * A frame on a port between two threads, as a tuple (cheaper to clone than an object):
 * kind (0 data, 1 control), source, seq, context, tag, body, and whether the body is a value
 * (an in-process clone) rather than encoded bytes.
 */
export type PortFrame = [kind: 0 | 1, source: number, seq: number, context: string, tag: number, body: unknown, isValue: boolean];

/** Posted on a port after a frame went into the ring of that pair, to wake a receiver that is not polling. */
const KICK = 0;

/** At most this many waits in a row go without polling after polls that caught nothing. */
const MAX_SKIPPED_SPINS = 64;

export interface ThreadTransportOptions {
  rank: number;
  size: number;
  /**
   * Three Int32s per rank over shared memory: a counter that senders add 1 to after each frame
   * for that rank, so a waiting receiver sees frames arrive without its event loop; at index
   * size + rank, 1 while that rank is polling (a sender then need not wake it); and at index
   * 2·size + rank, a counter of the frames among them that went by a port (the receiver looks at
   * its ports only when it moved: each look costs more than reading a ring).
   */
  doorbells: SharedArrayBuffer;
  /** Asks the thread that owns the job for a channel to `peer`; it arrives through `addPeer`. */
  requestPeer(peer: number): void;
  /**
   * How long a rank that waits for a message polls the doorbell before it lets its event loop
   * wake it: 0 when there are more ranks than cores (a poll would take a core from a rank that
   * has work).
   */
  spinMs: number;
}

/**
 * The transport between ranks in worker threads of one process: a MessageChannel per pair of
 * ranks that talk, made on first use by the thread that owns the job (thread-fabric.ts).
 * Encoded bodies are transferred, not copied (the codec gives every frame a buffer of its own);
 * values go by structured clone. Each port keeps its order, so frames are never reordered, but
 * the link layer above would repair it if they were.
 *
 * A rank that waits polls its doorbell for `spinMs` first: a message that comes meanwhile is
 * taken without waking the event loop.
 */
export class ThreadTransport implements Transport {
  readonly rank: number;
  readonly size: number;
  /** Rank 0 waits this long past the deadline for reports: a few thread hops. */
  readonly reportGraceMs = 50;
  /** Values may travel as structured clones: ports clone them between threads, as they are posted. */
  readonly inProcess = true;
  readonly clonesValues = true;
  private readonly ports: Array<MessagePort | undefined>;
  private readonly outgoing: Array<FrameRing | undefined>;
  private readonly incoming: FrameRing[] = [];
  /** Frames for peers whose channel has not arrived yet, in order. */
  private readonly waitingForPort = new Map<number, PortFrame[]>();
  private readonly doorbells: Int32Array;
  private readonly connected: MessagePort[] = [];
  private deliver: ((frame: Frame) => void) | undefined;
  /** Frames this rank sent itself before it started. */
  private readonly early: Frame[] = [];
  private closed = false;
  private waiting = false;
  private waitScheduled = false;
  /** Waits to go without polling: after polls that caught nothing (the sender had no core), more each time. */
  private spinsToSkip = 0;
  private skipAfterMiss = 0;
  private bellSeen = 0;
  private portBellSeen = 0;
  private readonly onPortFrame = (wire: PortFrame | typeof KICK) => (wire === KICK ? this.drainRings() : this.accept(wire));
  private readonly deliverFromRing = (frame: Frame) => {
    if (!this.closed) this.deliver?.(frame);
  };

  constructor(private readonly options: ThreadTransportOptions) {
    this.rank = options.rank;
    this.size = options.size;
    this.ports = new Array(options.size).fill(undefined);
    this.outgoing = new Array(options.size).fill(undefined);
    this.doorbells = new Int32Array(options.doorbells);
  }

  /** The channel to `peer` has arrived: frames queued for it leave now. */
  addPeer(peer: number, port: MessagePort, outgoing: SharedArrayBuffer, incoming: SharedArrayBuffer): void {
    if (this.ports[peer]) return;
    this.ports[peer] = port;
    this.outgoing[peer] = new FrameRing(outgoing);
    this.incoming.push(new FrameRing(incoming));
    this.connected.push(port);
    const queued = this.waitingForPort.get(peer);
    if (queued) {
      this.waitingForPort.delete(peer);
      for (const wire of queued) this.post(peer, port, wire);
    }
    if (!this.deliver) return;
    port.on('message', this.onPortFrame);
    // The peer may have written to the ring while this rank polled without it, and so sent no
    // wake-up: take what is there now, the port's frames first (they were sent first).
    this.drainPort(port);
    this.drainRings();
  }

  send(frame: Frame): Promise<void> {
    const isValue = frame.body instanceof InProcessValue;
    if (frame.dest === this.rank) {
      // Not posted, so not cloned on the way: the receiver must not share the sender's value.
      const own = isValue ? { ...frame, body: new InProcessValue(structuredClone((frame.body as InProcessValue).value)) } : frame;
      if (this.deliver) this.deliver(own);
      else this.early.push(own);
      return Promise.resolve();
    }
    // A value waiting for its channel is cloned now: the sender may change it once send returns.
    const body = isValue ? (this.ports[frame.dest] ? (frame.body as InProcessValue).value : structuredClone((frame.body as InProcessValue).value)) : frame.body;
    const wire: PortFrame = [frame.kind === 'data' ? 0 : 1, frame.source, frame.seq, frame.context, frame.tag, body, isValue];
    const port = this.ports[frame.dest];
    if (port && this.outgoing[frame.dest]!.tryWrite(frame)) {
      this.ring(frame.dest, port);
    } else if (port) {
      this.post(frame.dest, port, wire);
    } else {
      let queued = this.waitingForPort.get(frame.dest);
      if (!queued) {
        this.waitingForPort.set(frame.dest, (queued = []));
        this.options.requestPeer(frame.dest);
      }
      queued.push(wire);
    }
    return Promise.resolve();
  }

  start(deliver: (frame: Frame) => void): void {
    this.deliver = deliver;
    for (const port of this.connected) port.on('message', this.onPortFrame);
    for (const frame of this.early.splice(0)) deliver(frame);
  }

  rankWaits(wait: WaitDescription | undefined): void {
    this.waiting = wait !== undefined;
    if (this.waiting) this.scheduleWait();
  }

  close(): Promise<void> {
    // The ports stay open: a peer may still post to this rank, and its frames are dropped here,
    // as a deleted queue's would be. They go when the thread ends.
    this.closed = true;
    for (const port of this.connected) port.off('message', this.onPortFrame);
    return Promise.resolve();
  }

  private post(dest: number, port: MessagePort, wire: PortFrame): void {
    const body = wire[5];
    // A body that owns its whole buffer moves to the other thread instead of being copied.
    if (!wire[6] && body instanceof Uint8Array && body.byteOffset === 0 && body.byteLength === body.buffer.byteLength && body.buffer instanceof ArrayBuffer) {
      port.postMessage(wire, [body.buffer]);
    } else {
      port.postMessage(wire);
    }
    Atomics.add(this.doorbells, 2 * this.size + dest, 1);
    Atomics.add(this.doorbells, dest, 1);
  }

  /** A frame went into the ring: ring the bell, and wake the receiver unless it is polling. */
  private ring(dest: number, port: MessagePort): void {
    Atomics.add(this.doorbells, dest, 1);
    if (Atomics.load(this.doorbells, this.size + dest) === 0) port.postMessage(KICK);
  }

  private drainRings(): number {
    // Until this rank starts, what its peers wrote stays in the rings.
    if (!this.deliver) return 0;
    let delivered = 0;
    for (const ring of this.incoming) delivered += ring.drain(this.rank, this.deliverFromRing);
    return delivered;
  }

  private accept(wire: PortFrame): void {
    if (this.closed || !this.deliver) return;
    const [kind, source, seq, context, tag, body, isValue] = wire;
    this.deliver({
      kind: kind === 0 ? 'data' : 'ctrl',
      source,
      dest: this.rank,
      seq,
      context,
      tag,
      body: isValue ? new InProcessValue(body) : (body as Uint8Array),
    });
  }

  private scheduleWait(): void {
    if (this.options.spinMs <= 0 || this.waitScheduled || this.closed) return;
    this.waitScheduled = true;
    // After the microtasks of this turn: if the rank still waits then, nothing else is due.
    setImmediate(this.awaitFrame);
  }

  /**
   * While this rank waits for a message, polls the doorbell for spinMs (unless polls have been
   * catching nothing: then it backs off). Sleeping on the doorbell instead (Atomics.wait)
   * measured twice as slow as the event loop's own wake-up (bench case threads.pingpong-object.np2),
   * so the ports' events are the fallback.
   */
  private readonly awaitFrame = (): void => {
    this.waitScheduled = false;
    if (!this.waiting || this.closed || this.spinsToSkip-- > 0) return;
    const polling = this.size + this.rank;
    Atomics.store(this.doorbells, polling, 1);
    const until = performance.now() + this.options.spinMs;
    let caught = 0;
    // The clock is read every 64 polls: reading it costs more than a poll.
    for (let polls = 1; caught === 0 && ((polls & 63) !== 0 || performance.now() < until); polls++) {
      if (Atomics.load(this.doorbells, this.rank) !== this.bellSeen) caught = this.drain();
    }
    Atomics.store(this.doorbells, polling, 0);
    // A sender that saw this rank polling did not wake it, also while this rank drained what
    // stopped the polling: look once more now that it is not polling.
    if (Atomics.load(this.doorbells, this.rank) !== this.bellSeen) caught += this.drain();
    if (caught > 0) {
      this.skipAfterMiss = 0;
      // What arrived may not be what the rank waits for.
      if (this.waiting) this.scheduleWait();
      return;
    }
    // Nothing came: on a busy machine polling takes the core the sender needs. Back off.
    this.skipAfterMiss = Math.min(MAX_SKIPPED_SPINS, this.skipAfterMiss * 2 || 1);
    this.spinsToSkip = this.skipAfterMiss;
  };

  /** Takes every frame posted to this rank so far, without the event loop. */
  private drain(): number {
    this.bellSeen = Atomics.load(this.doorbells, this.rank);
    const portBell = Atomics.load(this.doorbells, 2 * this.size + this.rank);
    if (portBell === this.portBellSeen) return this.drainRings();
    this.portBellSeen = portBell;
    let delivered = 0;
    for (const port of this.connected) delivered += this.drainPort(port);
    return delivered + this.drainRings();
  }

  /** Takes the frames waiting on one port, without the event loop. */
  private drainPort(port: MessagePort): number {
    let delivered = 0;
    for (let message = receiveMessageOnPort(port); message; message = receiveMessageOnPort(port)) {
      if (message.message === KICK) continue;
      this.accept(message.message as PortFrame);
      delivered++;
    }
    return delivered;
  }
}
