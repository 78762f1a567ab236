import type { Payload } from '../codec/codec.ts';
import type { Frame, SharedObjects, Transport } from '../../transport/transport.ts';
import { InOrderReceiver, SequenceCounter, noRejections, type LinkStats } from './link.ts';
import {
  PostedQueue, UnexpectedQueue, matches, type InboundMessage, type UnreceivedCount, type MatchPattern, type PostedReceive, type ReceiveHandler,
} from './matching.ts';
import type { WaitDescription } from './wait-description.ts';

export type { WaitDescription };

/** Data frames a rank sent and took in order (engine-protocol frames included). */
export interface DataTraffic {
  sent: number;
  taken: number;
}

/**
 * The engine's own protocol rides on data frames whose context starts with '!', which no
 * communicator's context does (they start with 'w'): every transport carries them as it
 * carries any data frame, ordered and deduplicated by the link like the rest.
 */
const PROTOCOL_MARK = 0x21; // '!'
/** Announces that the sender's next data frame to this rank is synchronous-mode; tag = its ack id. */
const SYNC_CONTEXT = '!s';
/** A receive took a synchronous-mode message; tag = the ack id the sender gave it. */
const ACK_CONTEXT = '!a';
/** Ack ids stay within a tag's range on every wire (u32 on SQS, int32 between threads). */
const ACK_ID_LIMIT = 2 ** 31;

/** A body of its own for each frame: a transport between threads may transfer (detach) a body's buffer. */
function noBody(): Uint8Array {
  return new Uint8Array(0);
}

interface PendingAck {
  dest: number;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * The matching engine of one rank: numbers outgoing frames, restores order and drops duplicates
 * of incoming ones, then matches data messages against posted receives (in the order they were
 * posted) or parks them as unexpected. Control frames go to the runtime, in order, untouched.
 */
export class Engine {
  private readonly sequence: SequenceCounter;
  private readonly link: InOrderReceiver;
  private readonly unexpected = new UnexpectedQueue();
  private readonly posted = new PostedQueue();
  /**
   * What the program is blocked on, oldest first (insertion order): blocking receives and
   * probes while they wait, and requests while a wait call waits on them. A posted irecv the
   * program is not waiting on is not here: the rank is computing, not blocked.
   */
  private readonly waits = new Set<WaitDescription>();
  /** The first of `waits` (a Set's first element costs an iterator to read). */
  private oldestWait: WaitDescription | undefined;
  /** Per source: the ack id its next data frame asks for (announced by a SYNC_CONTEXT frame). */
  private readonly syncAnnounced = new Map<number, number>();
  /** Synchronous-mode sends of this rank waiting for their receive, by ack id. */
  private readonly pendingAcks = new Map<number, PendingAck>();
  private nextAckId = 0;
  private abortError: unknown;
  /**
   * Data frames this rank sent, and took in order (duplicates dropped, gaps closed): across the
   * job, sent minus taken is what is in flight (rank 0's deadlock judge, deadlock-judge.ts).
   */
  private readonly counted: DataTraffic = { sent: 0, taken: 0 };
  /** Set when the rank failed by its own checks (a collective mismatch), not by a stop from outside. */
  private ownFailure: unknown;
  /**
   * Hears of each data message that arrived with no receive posted for it, before it is parked:
   * the collective checks (collective-calls.ts) see another call's message there.
   */
  onUnexpected: ((message: InboundMessage) => void) | undefined;
  /** When the first frame arrived (epoch ms): the end of this rank's start-up on the wire. */
  firstFrameAt: number | undefined;

  constructor(
    private readonly transport: Transport,
    private readonly onControl: (source: number, body: Uint8Array) => void,
    /** The transport can no longer deliver (a lost connection, a deleted queue): told after the abort. */
    private readonly onTransportError?: (error: unknown) => void,
  ) {
    this.sequence = new SequenceCounter();
    this.link = new InOrderReceiver(transport.size, (frame) => this.onInOrder(frame));
  }

  get rank(): number {
    return this.transport.rank;
  }

  get size(): number {
    return this.transport.size;
  }

  /** The link layer's counts, with what the transport refused before it. */
  get stats(): LinkStats {
    return { ...this.link.stats, rejected: { ...(this.transport.rejected ?? noRejections()) } };
  }

  get aborted(): boolean {
    return this.abortError !== undefined;
  }

  start(): void {
    this.transport.start(
      (frame) => {
        this.firstFrameAt ??= Date.now();
        return this.link.accept(frame);
      },
      (error) => {
        this.abort(error);
        this.onTransportError?.(error);
      },
    );
  }

  /** A store every rank reads, when the transport has one (SharedObjects). */
  get sharedObjects(): SharedObjects | undefined {
    return this.transport.sharedObjects;
  }

  /** Whether sends may carry in-process clones (the transport's ranks share this process). */
  get inProcess(): boolean {
    return this.transport.inProcess === true;
  }

  /** Whether the transport clones in-process values as it sends them (so the sender need not). */
  get clonesValues(): boolean {
    return this.transport.clonesValues === true;
  }

  /** Whether sends may carry references (the transport's ranks share this thread). */
  get sameThread(): boolean {
    return this.transport.sameThread === true;
  }

  sendData(context: string, dest: number, tag: number, body: Payload): Promise<void> {
    if (this.abortError !== undefined) return Promise.reject(this.abortError);
    this.counted.sent++;
    return this.transport.send({ kind: 'data', source: this.rank, dest, seq: this.sequence.take(dest), context, tag, body });
  }

  /** Control frames still flow after an abort: they carry the abort itself and the final reports. */
  sendControl(dest: number, body: Uint8Array): Promise<void> {
    return this.transport.send({ kind: 'ctrl', source: this.rank, dest, seq: this.sequence.take(dest), context: '', tag: 0, body });
  }

  /**
   * A synchronous-mode send (MPI_Ssend): resolves once a receive on `dest` has taken the
   * message, which it says with an ack frame. The announcement and the message take
   * consecutive sequence numbers, so the receiver sees them back to back.
   */
  sendSynchronous(context: string, dest: number, tag: number, body: Payload): Promise<void> {
    if (this.abortError !== undefined) return Promise.reject(this.abortError);
    const ackId = this.nextAckId;
    this.nextAckId = (this.nextAckId + 1) % ACK_ID_LIMIT;
    return new Promise<void>((resolve, reject) => {
      this.pendingAcks.set(ackId, { dest, resolve, reject });
      const failed = (error: unknown) => {
        if (this.pendingAcks.delete(ackId)) reject(error);
      };
      this.sendData(SYNC_CONTEXT, dest, ackId, noBody()).catch(failed);
      this.sendData(context, dest, tag, body).catch(failed);
    });
  }

  receive(pattern: MatchPattern, shown: WaitDescription): Promise<InboundMessage> {
    return this.postAndWait(pattern, shown, true);
  }

  probe(pattern: MatchPattern, shown: WaitDescription): Promise<InboundMessage> {
    return this.postAndWait(pattern, shown, false);
  }

  /**
   * Posts a receive the program does not wait on yet (irecv): `handler` hears of its message,
   * at once when one is already there (then nothing stays posted and this returns undefined).
   */
  postReceive(pattern: MatchPattern, handler: ReceiveHandler): PostedReceive | undefined {
    if (this.abortError !== undefined) {
      handler.failed(this.abortError);
      return undefined;
    }
    const ready = this.unexpected.take(pattern);
    if (ready) {
      this.taken(ready);
      handler.matched(ready);
      return undefined;
    }
    return this.posted.push(pattern, true, handler);
  }

  /**
   * A receive the program is not blocked on (a step of a nonblocking collective): posted like an
   * irecv, so it is no part of what the rank waits on until the program waits on its request.
   */
  receiveInBackground(pattern: MatchPattern): Promise<InboundMessage> {
    return new Promise((resolve, reject) => {
      this.postReceive(pattern, { matched: resolve, failed: reject });
    });
  }

  /** Withdraws a posted receive (cancel); false when it already matched (or the rank was stopped). */
  withdraw(posted: PostedReceive): boolean {
    if (!posted.listed) return false;
    this.posted.remove(posted);
    return true;
  }

  /** The next matching message if one has arrived, without receiving it. */
  peek(pattern: MatchPattern): InboundMessage | undefined {
    if (this.abortError !== undefined) throw this.abortError;
    return this.unexpected.find(pattern);
  }

  /** The program now waits on `shown` (a request's wait): part of what this rank is blocked on. */
  beginWait(shown: WaitDescription): void {
    this.waits.add(shown);
    if (this.waits.size > 1) return;
    this.oldestWait = shown;
    this.transport.rankWaits?.(shown);
  }

  /** The program no longer waits on `shown`. */
  endWait(shown: WaitDescription): void {
    if (!this.waits.delete(shown) || this.abortError !== undefined || shown !== this.oldestWait) return;
    this.oldestWait = this.waits.size === 0 ? undefined : this.waits.values().next().value;
    this.transport.rankWaits?.(this.oldestWait);
  }

  /** The data frames this rank sent and took in order so far. */
  traffic(): DataTraffic {
    return { ...this.counted };
  }

  /** The oldest wait still going: what this rank is blocked on. */
  waitState(): WaitDescription | undefined {
    return this.oldestWait;
  }

  /** Releases every waiting receive and synchronous send with `error`; later operations fail with it too. */
  abort(error: unknown): void {
    if (this.abortError !== undefined) return;
    this.abortError = error;
    this.unexpected.clear();
    this.syncAnnounced.clear();
    const acks = [...this.pendingAcks.values()];
    this.pendingAcks.clear();
    for (const receive of this.posted.drain()) receive.handler.failed(error);
    for (const ack of acks) ack.reject(error);
  }

  /**
   * This rank found the job's messages broken (a collective mismatch): it fails with `error` as
   * if stopped, and the runtime reports the rank failed even if its program goes on to return.
   */
  fail(error: unknown): void {
    this.ownFailure ??= error;
    this.abort(error);
  }

  /** The messages that arrived and wait for a receive, in arrival order (read, never taken). */
  parked(): IterableIterator<InboundMessage> {
    return this.unexpected.messages();
  }

  /** The error `fail` was given, if any. */
  get failure(): unknown {
    return this.ownFailure;
  }

  /**
   * The messages that arrived and were never received, counted by sender, context and tag
   * (the end-of-job warning); empty when every message was taken.
   */
  unreceived(): UnreceivedCount[] {
    return this.unexpected.counts();
  }

  close(): Promise<void> {
    return this.transport.close();
  }

  private postAndWait(pattern: MatchPattern, shown: WaitDescription, consume: boolean): Promise<InboundMessage> {
    if (this.abortError !== undefined) return Promise.reject(this.abortError);
    const ready = consume ? this.unexpected.take(pattern) : this.unexpected.find(pattern);
    if (ready) {
      if (consume) this.taken(ready);
      return Promise.resolve(ready);
    }
    return new Promise((resolve, reject) => {
      this.beginWait(shown);
      this.posted.push(pattern, consume, new BlockingReceive(this, shown, resolve, reject));
    });
  }

  /** A receive took `message`: a synchronous-mode sender hears so. */
  private taken(message: InboundMessage): void {
    if (message.ackId === undefined) return;
    // A lost ack would leave the sender waiting: a transport that fails fails the rank anyway.
    this.sendData(ACK_CONTEXT, message.source, message.ackId, noBody()).catch(() => undefined);
  }

  private onProtocolFrame(frame: Frame): void {
    if (frame.context === SYNC_CONTEXT) {
      this.syncAnnounced.set(frame.source, frame.tag);
    } else if (frame.context === ACK_CONTEXT) {
      const ack = this.pendingAcks.get(frame.tag);
      if (ack?.dest !== frame.source) return;
      this.pendingAcks.delete(frame.tag);
      ack.resolve();
    }
  }

  private onInOrder(frame: Frame): void {
    if (frame.kind === 'ctrl') {
      this.onControl(frame.source, frame.body as Uint8Array);
      return;
    }
    this.counted.taken++;
    if (this.abortError !== undefined) return;
    if (frame.context.charCodeAt(0) === PROTOCOL_MARK) {
      this.onProtocolFrame(frame);
      return;
    }
    const message: InboundMessage = { context: frame.context, source: frame.source, tag: frame.tag, body: frame.body };
    const ackId = this.syncAnnounced.get(frame.source);
    if (ackId !== undefined) {
      this.syncAnnounced.delete(frame.source);
      message.ackId = ackId;
    }
    for (let receive = this.posted.first; receive; ) {
      const next = receive.next;
      if (matches(receive.pattern, message)) {
        this.posted.remove(receive);
        if (receive.consume) {
          this.taken(message);
          receive.handler.matched(message);
          return;
        }
        receive.handler.matched(message);
      }
      receive = next;
    }
    this.onUnexpected?.(message);
    this.unexpected.push(message);
  }
}

/** A receive or probe the program waits on now (recv, probe, a collective's step). */
class BlockingReceive implements ReceiveHandler {
  constructor(
    private readonly engine: Engine,
    private readonly shown: WaitDescription,
    private readonly resolve: (message: InboundMessage) => void,
    readonly failed: (error: unknown) => void,
  ) {}

  matched(message: InboundMessage): void {
    this.engine.endWait(this.shown);
    this.resolve(message);
  }
}
