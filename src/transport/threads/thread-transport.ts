import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { InProcessValue, UnencodedView, encode } from '../../mpi/codec/codec.ts';
import type { WaitDescription } from '../../mpi/p2p/wait-description.ts';
import { STORED, type Frame, type Transport } from '../transport.ts';
import { Doorbells } from './doorbell.ts';
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

/**
 * Waits polled between microtasks take no turn of the event loop; at least once in this many ms
 * a wait goes by the event loop all the same, so timers and the thread's control messages (a
 * cancel, the job's deadline) are never held up longer, however fast frames come.
 */
const MAX_MS_WITHOUT_A_TURN = 1;

export interface ThreadTransportOptions {
  rank: number;
  size: number;
  /**
   * The job's doorbells (Doorbells.memoryFor): a waiting receiver sees frames arrive without its
   * event loop, and looks at its ports only when its port count moved (each look costs more than
   * reading a ring).
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
 * A rank that waits watches its doorbell from then on and polls it for `spinMs`: a message that
 * comes meanwhile is taken without the event loop, and its sender posts no wake-up.
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
  private readonly doorbells: Doorbells;
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
  /** When the polls between microtasks of the current wait give up (performance.now()). */
  private pollUntil = 0;
  /** When this rank's event loop last ran a wait (performance.now()). */
  private lastTurnAt = 0;
  private bellSeen = 0;
  private portBellSeen = 0;
  private readonly onPortFrame = (wire: PortFrame | typeof KICK) => {
    if (wire === KICK) this.drainRings();
    else this.accept(wire);
    // Woken by the event loop: what came may not end the wait, and the next frame may come soon.
    if (this.waiting) this.scheduleWait();
  };
  private readonly deliverFromRing = (frame: Frame) => {
    if (!this.closed) this.deliver?.(frame);
  };

  constructor(private readonly options: ThreadTransportOptions) {
    this.rank = options.rank;
    this.size = options.size;
    this.ports = new Array(options.size).fill(undefined);
    this.outgoing = new Array(options.size).fill(undefined);
    this.doorbells = new Doorbells(options.doorbells);
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
    const port = frame.dest === this.rank ? undefined : this.ports[frame.dest];
    // A small frame goes into shared memory, straight from the sender's value or array.
    if (port && this.outgoing[frame.dest]!.tryWrite(frame)) {
      if (this.doorbells.ring(frame.dest, false)) port.postMessage(KICK);
      return STORED;
    }
    // Any other way needs the array's bytes now: the sender may change it once send returns.
    if (frame.body instanceof UnencodedView) frame = { ...frame, body: encode(frame.body.value) };
    const isValue = frame.body instanceof InProcessValue;
    if (frame.dest === this.rank) {
      // Not posted, so not cloned on the way: the receiver must not share the sender's value.
      const own = isValue ? { ...frame, body: new InProcessValue(structuredClone((frame.body as InProcessValue).value)) } : frame;
      if (this.deliver) this.deliver(own);
      else this.early.push(own);
      return STORED;
    }
    // A value waiting for its channel is cloned now: the sender may change it once send returns.
    const body = isValue ? (port ? (frame.body as InProcessValue).value : structuredClone((frame.body as InProcessValue).value)) : frame.body;
    const wire: PortFrame = [frame.kind === 'data' ? 0 : 1, frame.source, frame.seq, frame.context, frame.tag, body, isValue];
    if (port) {
      this.post(frame.dest, port, wire);
    } else {
      let queued = this.waitingForPort.get(frame.dest);
      if (!queued) {
        this.waitingForPort.set(frame.dest, (queued = []));
        this.options.requestPeer(frame.dest);
      }
      queued.push(wire);
    }
    return STORED;
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
    // The message wakes the receiver's event loop by itself.
    this.doorbells.ring(dest, true);
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
    if (this.waitScheduled || this.closed) return;
    this.waitScheduled = true;
    // From now on this rank reads its bell before it sleeps: senders need not wake it.
    this.doorbells.watch(this.rank);
    const now = this.options.spinMs > 0 && this.spinsToSkip === 0 ? performance.now() : 0;
    if (now !== 0 && now - this.lastTurnAt < MAX_MS_WITHOUT_A_TURN) {
      this.pollUntil = now + this.options.spinMs;
      queueMicrotask(this.pollBetweenMicrotasks);
    } else {
      // After the microtasks of this turn: if the rank still waits then, nothing else is due.
      setImmediate(this.awaitFrame);
    }
  }

  /**
   * Polls the doorbell a little, then queues itself behind whatever microtasks are queued, until
   * a frame comes or spinMs has passed: the rank's own promise chains run between the polls, and
   * a frame is taken without a turn of the event loop, which costs more than a whole message
   * between threads (bench case threads.pingpong-bytes-1B.np2). Past spinMs, the event loop.
   */
  private readonly pollBetweenMicrotasks = (): void => {
    if (!this.waiting || this.closed) {
      this.endWait();
      return;
    }
    const caught = this.pollBell();
    if (caught === 0 && performance.now() < this.pollUntil) {
      queueMicrotask(this.pollBetweenMicrotasks);
      return;
    }
    this.countPolls(caught);
    this.waitScheduled = false;
    // What arrived may not be what the rank waits for; if it still waits, watch on.
    if (caught > 0 && this.waiting) this.scheduleWait();
    else this.endWait();
  };

  /**
   * Back to the event loop: senders wake this rank by the port from now on. One that saw it
   * watching did not, also while it drained what it caught: look once more.
   */
  private endWait(): void {
    this.waitScheduled = false;
    this.doorbells.stopWatching(this.rank);
    if (this.doorbells.bell(this.rank) !== this.bellSeen) this.drain();
  }

  /**
   * While this rank waits for a message: polls the doorbell for spinMs (unless polls have been
   * catching nothing: then it backs off), and goes on watching while the wait lasts and polls
   * catch frames. Sleeping on the doorbell instead (Atomics.wait, woken by Atomics.notify)
   * measured slower than the event loop's wake-up (bench case threads.allreduce-scalar.np4), so
   * the ports' events are the fallback.
   */
  private readonly awaitFrame = (): void => {
    this.waitScheduled = false;
    this.lastTurnAt = performance.now();
    const caught = this.waiting && !this.closed ? this.spin() : 0;
    // What arrived may not be what the rank waits for; if it still waits, watch on.
    if (caught > 0 && this.waiting && !this.closed) this.scheduleWait();
    else this.endWait();
  };

  /** Polls the doorbell for spinMs; what came, if anything, is delivered. */
  private spin(): number {
    if (this.options.spinMs <= 0) return 0;
    if (this.spinsToSkip > 0) {
      this.spinsToSkip--;
      return 0;
    }
    const until = performance.now() + this.options.spinMs;
    let caught = this.pollBell();
    while (caught === 0 && performance.now() < until) caught = this.pollBell();
    this.countPolls(caught);
    return caught;
  }

  /**
   * Reads the doorbell up to 64 times (the clock is read between such rounds only: reading it
   * costs more than a poll); what came, if anything, is delivered.
   */
  private pollBell(): number {
    for (let polls = 0; polls < 64; polls++) {
      if (this.doorbells.bell(this.rank) !== this.bellSeen) return this.drain();
    }
    return 0;
  }

  /** After a wait's polls: those that caught nothing (the sender had no core) make the next waits skip polling, more each time. */
  private countPolls(caught: number): void {
    if (caught > 0) {
      this.skipAfterMiss = 0;
      return;
    }
    // On a busy machine polling takes the core the sender needs. Back off.
    this.skipAfterMiss = Math.min(MAX_SKIPPED_SPINS, this.skipAfterMiss * 2 || 1);
    this.spinsToSkip = this.skipAfterMiss;
  }

  /** Takes every frame posted to this rank so far, without the event loop. */
  private drain(): number {
    this.bellSeen = this.doorbells.bell(this.rank);
    const portBell = this.doorbells.portBell(this.rank);
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
