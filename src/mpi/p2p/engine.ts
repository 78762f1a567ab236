import type { Payload } from '../codec/codec.ts';
import type { Frame, SharedObjects, Transport } from '../../transport/transport.ts';
import { InOrderReceiver, SequenceCounter, noRejections, type LinkStats } from './link.ts';
import { UnexpectedQueue, matches, type InboundMessage, type MatchPattern } from './matching.ts';
import type { WaitDescription } from './wait-description.ts';

export type { WaitDescription };

interface PostedReceive {
  pattern: MatchPattern;
  /** A probe leaves the message in place for a later receive. */
  consume: boolean;
  shown: WaitDescription;
  resolve(message: InboundMessage): void;
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
  private posted: PostedReceive[] = [];
  private abortError: unknown;
  /** When the first frame arrived (epoch ms): the end of this rank's start-up on the wire. */
  firstFrameAt: number | undefined;

  constructor(
    private readonly transport: Transport,
    private readonly onControl: (source: number, body: Uint8Array) => void,
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
      (error) => this.abort(error),
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
    return this.transport.send({ kind: 'data', source: this.rank, dest, seq: this.sequence.take(dest), context, tag, body });
  }

  /** Control frames still flow after an abort: they carry the abort itself and the final reports. */
  sendControl(dest: number, body: Uint8Array): Promise<void> {
    return this.transport.send({ kind: 'ctrl', source: this.rank, dest, seq: this.sequence.take(dest), context: '', tag: 0, body });
  }

  receive(pattern: MatchPattern, shown: WaitDescription): Promise<InboundMessage> {
    return this.post(pattern, shown, true);
  }

  probe(pattern: MatchPattern, shown: WaitDescription): Promise<InboundMessage> {
    return this.post(pattern, shown, false);
  }

  /** The next matching message if one has arrived, without receiving it. */
  peek(pattern: MatchPattern): InboundMessage | undefined {
    if (this.abortError !== undefined) throw this.abortError;
    return this.unexpected.find(pattern);
  }

  /** The oldest receive still waiting: what this rank is blocked on. */
  waitState(): WaitDescription | undefined {
    return this.posted[0]?.shown;
  }

  /** Releases every waiting receive with `error`; later operations fail with it too. */
  abort(error: unknown): void {
    if (this.abortError !== undefined) return;
    this.abortError = error;
    const posted = this.posted;
    this.posted = [];
    this.unexpected.clear();
    for (const receive of posted) receive.reject(error);
  }

  close(): Promise<void> {
    return this.transport.close();
  }

  private post(pattern: MatchPattern, shown: WaitDescription, consume: boolean): Promise<InboundMessage> {
    if (this.abortError !== undefined) return Promise.reject(this.abortError);
    const ready = consume ? this.unexpected.take(pattern) : this.unexpected.find(pattern);
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      this.posted.push({ pattern, consume, shown, resolve, reject });
      if (this.posted.length === 1) this.transport.rankWaits?.(shown);
    });
  }

  private onInOrder(frame: Frame): void {
    if (frame.kind === 'ctrl') {
      this.onControl(frame.source, frame.body as Uint8Array);
      return;
    }
    if (this.abortError !== undefined) return;
    const message: InboundMessage = { context: frame.context, source: frame.source, tag: frame.tag, body: frame.body };
    const oldest = this.posted[0];
    let consumed = false;
    for (let i = 0; i < this.posted.length; i++) {
      const receive = this.posted[i]!;
      if (!matches(receive.pattern, message)) continue;
      this.posted.splice(i, 1);
      receive.resolve(message);
      if (receive.consume) {
        consumed = true;
        break;
      }
      i--;
    }
    if (!consumed) this.unexpected.push(message);
    if (this.posted[0] !== oldest) this.transport.rankWaits?.(this.posted[0]?.shown);
  }
}
