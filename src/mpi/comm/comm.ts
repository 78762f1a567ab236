import { InProcessValue, RAW_HEADER_BYTES, decode, decodePayload, encode, encodePayload, payloadSize } from '../codec/codec.ts';
import type { SharedObjects } from '../../transport/transport.ts';
import type { VectorReduction } from './vector-reductions.ts';
import { ANY_SOURCE, ANY_TAG, PROC_NULL } from '../constants.ts';
import { InvalidArgumentError } from '../errors.ts';
import type { Engine } from '../p2p/engine.ts';
import type { InboundMessage } from '../p2p/matching.ts';
import type { Request } from '../p2p/request.ts';
import {
  assertDest, assertPerRankArray, assertRank, assertRecvTag, assertResultBuffer, assertSendTag, assertSource,
} from '../validation.ts';
import type { CallDetail, CommTracer } from './comm-tracer.ts';
import * as collectives from './collectives.ts';
import { listedGroup, type Group } from './group.ts';
import type { CollectiveChannel, CollectiveName } from './collectives.ts';
import { PROC_NULL_STATUS, nullReceive, nullSend, startReceive, startSend, type PointToPointSpace } from './nonblocking.ts';
import { SUM, assertOp, type Op } from './ops.ts';

/** What the runtime gives every communicator of a rank. */
export interface RankServices {
  readonly jobId: string;
  readonly engine: Engine;
  processorName(): string;
  /** How reductions of large vectors travel (see src/config.ts). */
  readonly vectorReduction: VectorReduction;
  /** Fails the whole job now; never returns normally. */
  abort(reason: string): Promise<never>;
  /** Hears of every call when the job is traced. */
  readonly tracer?: CommTracer;
}

export interface Message<T = unknown> {
  value: T;
  source: number;
  tag: number;
}

export interface ProbeResult {
  source: number;
  tag: number;
  /** Size of the message's payload in bytes. */
  bytes: number;
}

const COLLECTIVE_TAG: Record<CollectiveName, number> = {
  barrier: 1, bcast: 2, scatter: 3, gather: 4, allgather: 5, alltoall: 6,
  reduce: 7, allreduce: 8, scan: 9, exscan: 10, split: 11,
};

/**
 * A communicator: a group of ranks with a message space of its own. Point-to-point traffic
 * uses the context id; collectives use a second context derived from it, so the two never
 * match each other. Ranks in the API are ranks of this communicator; the engine below speaks
 * world ranks, and the group maps between them.
 */
export class Comm {
  readonly rank: number;
  readonly size: number;
  readonly jobId: string;
  readonly #services: RankServices;
  readonly #engine: Engine;
  /** World rank of each rank of this communicator. */
  readonly #group: Group;
  readonly #context: string;
  readonly #collectiveContext: string;
  #childCount = 0;
  readonly #channel: CollectiveChannel;
  /** Shared memory this communicator's collectives gave back, for the next ones (ranks in threads). */
  readonly #freeShared: SharedArrayBuffer[] = [];
  /** Where this communicator's nonblocking point-to-point requests live. */
  readonly #space: PointToPointSpace;

  /** @internal Made by the runtime (the world) and by split/dup. */
  constructor(services: RankServices, group: Group | readonly number[], context: string) {
    this.#services = services;
    this.#engine = services.engine;
    this.#group = Array.isArray(group) ? listedGroup(group) : (group as Group);
    this.#context = context;
    this.#collectiveContext = `${context}#c`;
    this.jobId = services.jobId;
    this.size = this.#group.size;
    this.rank = this.#group.local(this.#engine.rank)!;
    this.#space = { engine: this.#engine, group: this.#group, context };
    this.#channel = {
      rank: this.rank,
      size: this.size,
      splitVectors: services.vectorReduction !== 'tree',
      barrierRadix: this.#engine.inProcess ? 2 : 16,
      ...(this.#engine.sharedObjects ? { objects: sharedValues(this.#engine.sharedObjects) } : {}),
      lendsViews: this.#engine.sameThread,
      send: (value, dest, operation) => this.#sendOn(this.#collectiveContext, value, dest, COLLECTIVE_TAG[operation]),
      lend: (view, dest, operation) => (this.#engine.sameThread || (this.#engine.inProcess && view.buffer instanceof SharedArrayBuffer)
        ? this.#engine.sendData(this.#collectiveContext, this.#group.world(dest), COLLECTIVE_TAG[operation], new InProcessValue(view))
        : this.#sendOn(this.#collectiveContext, view, dest, COLLECTIVE_TAG[operation])),
      ...(this.#engine.inProcess && !this.#engine.sameThread
        ? { takeShared: (like, length) => this.#takeShared(like, length), releaseShared: (view) => this.#releaseShared(view) }
        : {}),
      recv: async (source, operation) => {
        const message = await this.#engine.receive(
          { context: this.#collectiveContext, source: this.#group.world(source), tag: COLLECTIVE_TAG[operation] },
          { operation, source, tag: COLLECTIVE_TAG[operation] },
        );
        return decodePayload(message.body);
      },
    };
  }

  /** Where this rank runs: the host name locally, the Lambda's log stream on AWS. */
  processorName(): string {
    return this.#services.processorName();
  }

  // ---- point-to-point ----

  /** Standard-mode send: resolves once the message is stored for `dest`. */
  async send(value: unknown, dest: number, tag = 0): Promise<void> {
    assertDest('dest', dest, this.size);
    assertSendTag('tag', tag);
    if (dest === PROC_NULL) return;
    const tracer = this.#services.tracer;
    if (!tracer) return this.#sendOn(this.#context, value, dest, tag);
    const payload = encodePayload(value, this.#engine.inProcess);
    const end = tracer.begin('send', { peer: this.#group.world(dest), tag, bytes: payloadSize(payload) });
    try {
      await this.#engine.sendData(this.#context, this.#group.world(dest), tag, payload);
    } finally {
      end();
    }
  }

  async recv<T = unknown>(source: number = ANY_SOURCE, tag: number = ANY_TAG): Promise<T> {
    return (await this.recvMessage<T>(source, tag)).value;
  }

  async recvMessage<T = unknown>(source: number = ANY_SOURCE, tag: number = ANY_TAG): Promise<Message<T>> {
    const pattern = this.#pattern(source, tag);
    if (source === PROC_NULL) return { value: undefined as T, source: PROC_NULL, tag: ANY_TAG };
    const message = await this.#traced('recv', { peer: pattern.source, tag }, () => this.#engine.receive(pattern, { operation: 'recv', source, tag }),
      (received) => ({ peer: received.source, tag: received.tag, bytes: payloadSize(received.body) }));
    return { value: decodePayload(message.body) as T, source: this.#local(message), tag: message.tag };
  }

  /** Sends and receives at once, so two ranks exchanging with each other never deadlock. */
  async sendrecv<T = unknown>(value: unknown, dest: number, source: number = ANY_SOURCE, sendtag = 0, recvtag: number = ANY_TAG): Promise<T> {
    assertDest('dest', dest, this.size);
    assertSendTag('sendtag', sendtag);
    const pattern = this.#pattern(source, recvtag, 'recvtag');
    const [message] = await this.#traced('sendrecv', { peer: dest === PROC_NULL ? PROC_NULL : this.#group.world(dest), tag: sendtag }, () => {
      const sent = dest === PROC_NULL ? undefined : this.#sendOn(this.#context, value, dest, sendtag);
      const received = source === PROC_NULL ? undefined : this.#engine.receive(pattern, { operation: 'sendrecv', source, tag: recvtag });
      return Promise.all([received, sent]);
    }, ([received]) => (received === undefined ? {} : { source: received.source, bytes: payloadSize(received.body) }));
    return (message === undefined ? undefined : decodePayload(message.body)) as T;
  }

  /** Waits for the next matching message and describes it without receiving it. */
  async probe(source: number = ANY_SOURCE, tag: number = ANY_TAG): Promise<ProbeResult> {
    const pattern = this.#pattern(source, tag);
    if (source === PROC_NULL) return { ...PROC_NULL_STATUS };
    return this.#describe(await this.#traced('probe', { peer: pattern.source, tag }, () => this.#engine.probe(pattern, { operation: 'probe', source, tag })));
  }

  /** Like probe, but resolves to undefined at once when no matching message has arrived. */
  async iprobe(source: number = ANY_SOURCE, tag: number = ANY_TAG): Promise<ProbeResult | undefined> {
    const pattern = this.#pattern(source, tag);
    if (source === PROC_NULL) return { ...PROC_NULL_STATUS };
    const message = this.#engine.peek(pattern);
    return message && this.#describe(message);
  }

  // ---- nonblocking point-to-point ----

  /**
   * Starts a standard-mode send and returns its Request at once; `wait()` resolves when the
   * message is stored for `dest`. The value is encoded now, so the caller may reuse it at once.
   */
  isend(value: unknown, dest: number, tag = 0): Request<undefined> {
    return this.#startSend(value, dest, tag, false);
  }

  /** Starts a synchronous-mode send: its Request completes only once a receive on `dest` has taken the message. */
  issend(value: unknown, dest: number, tag = 0): Request<undefined> {
    return this.#startSend(value, dest, tag, true);
  }

  /**
   * Posts a receive and returns its Request at once. It matches messages in the order receives
   * were posted (with blocking ones), and fills as messages arrive, whether or not the program waits.
   */
  irecv<T = unknown>(source: number = ANY_SOURCE, tag: number = ANY_TAG): Request<T> {
    const pattern = this.#pattern(source, tag);
    if (source === PROC_NULL) return nullReceive<T>(this.#space, tag);
    return startReceive<T>(this.#space, pattern, source, tag);
  }

  // ---- collectives ----

  barrier(): Promise<void> {
    return this.#traced('barrier', {}, () => collectives.barrier(this.#channel));
  }

  async bcast<T>(value: T, root = 0): Promise<T> {
    assertRank('root', root, this.size);
    return this.#traced('bcast', { root: this.#group.world(root) }, () => collectives.bcast(this.#channel, value, root));
  }

  async scatter<T>(values: T[] | undefined, root = 0): Promise<T> {
    assertRank('root', root, this.size);
    if (this.rank === root) assertPerRankArray('values', values, this.size);
    return this.#traced('scatter', { root: this.#group.world(root) }, () => collectives.scatter(this.#channel, values, root));
  }

  async gather<T>(value: T, root = 0): Promise<T[] | undefined> {
    assertRank('root', root, this.size);
    return this.#traced('gather', { root: this.#group.world(root) }, () => collectives.gather(this.#channel, value, root));
  }

  allgather<T>(value: T): Promise<T[]> {
    return this.#traced('allgather', {}, () => collectives.allgather(this.#channel, value));
  }

  async alltoall<T>(values: T[]): Promise<T[]> {
    assertPerRankArray('values', values, this.size);
    return this.#traced('alltoall', {}, () => collectives.alltoall(this.#channel, values));
  }

  async reduce<T = any>(value: T, op: Op = SUM, root = 0): Promise<T | undefined> {
    assertOp(op);
    assertRank('root', root, this.size);
    return (await this.#traced('reduce', { root: this.#group.world(root) }, () => collectives.reduce(this.#channel, value, op, root))) as T | undefined;
  }

  /**
   * Every rank gets the reduction of every rank's value. With `into` (a TypedArray of value's type
   * and length, apart from value's memory), the result is written there and `into` is what the
   * call resolves to, as mpi4py's Allreduce fills its recvbuf: a loop reducing into one array
   * allocates nothing.
   */
  async allreduce<T = any>(value: T, op: Op = SUM, into?: ArrayBufferView): Promise<T> {
    // A new large result costs more in fresh pages than the reduction itself (bench cases
    // memory.allreduce-into-8MiB.np4 against memory.allreduce-buffer-8MiB.np4).
    assertOp(op);
    if (into === undefined) return (await this.#traced('allreduce', {}, () => collectives.allreduce(this.#channel, value, op))) as T;
    assertResultBuffer(value, into);
    return (await this.#traced('allreduce', {}, () => collectives.allreduce(this.#channel, value, op, into))) as T;
  }

  async scan<T = any>(value: T, op: Op = SUM): Promise<T> {
    assertOp(op);
    return (await this.#traced('scan', {}, () => collectives.scan(this.#channel, value, op, false))) as T;
  }

  async exscan<T = any>(value: T, op: Op = SUM): Promise<T | undefined> {
    assertOp(op);
    return (await this.#traced('exscan', {}, () => collectives.scan(this.#channel, value, op, true))) as T | undefined;
  }

  // ---- communicators ----

  /**
   * The ranks that pass the same color, ordered by key and then by rank here. Collective over
   * this communicator; every rank gets the new communicator of its own color.
   */
  async split(color: number, key: number = this.rank): Promise<Comm> {
    if (!Number.isInteger(color) || color < 0) throw new InvalidArgumentError('color', color, 'a non-negative integer');
    if (!Number.isInteger(key)) throw new InvalidArgumentError('key', key, 'an integer');
    const child = this.#childCount++;
    const all = await this.#traced('split', {}, () => collectives.allgather(this.#channel, [color, key] as const, 'split'));
    const members = all
      .map(([memberColor, memberKey], rank) => ({ memberColor, memberKey, rank }))
      .filter((member) => member.memberColor === color)
      .sort((a, b) => a.memberKey - b.memberKey || a.rank - b.rank)
      .map((member) => this.#group.world(member.rank));
    return new Comm(this.#services, members, `${this.#context}.s${child}c${color}`);
  }

  /** The same ranks, with a message space that never matches this one's. */
  dup(): Comm {
    return new Comm(this.#services, this.#group, `${this.#context}.d${this.#childCount++}`);
  }

  /** Fails the whole job now (MPI_Abort): every rank is stopped and the caller gets `reason`. */
  abort(reason: unknown = 'comm.abort() called'): Promise<never> {
    return this.#services.abort(reason instanceof Error ? reason.message : String(reason));
  }

  // ---- internals ----

  #startSend(value: unknown, dest: number, tag: number, synchronous: boolean): Request<undefined> {
    assertDest('dest', dest, this.size);
    assertSendTag('tag', tag);
    if (dest === PROC_NULL) return nullSend(this.#space, dest, tag, synchronous);
    return startSend(this.#space, encodePayload(value, this.#engine.inProcess, this.#engine.clonesValues), dest, tag, synchronous);
  }

  #sendOn(context: string, value: unknown, dest: number, tag: number): Promise<void> {
    // Encoding copies the value now, so the caller may reuse its buffer as soon as this returns.
    return this.#engine.sendData(context, this.#group.world(dest), tag, encodePayload(value, this.#engine.inProcess, this.#engine.clonesValues));
  }

  #takeShared(like: ArrayBufferView, length: number): ArrayBufferView {
    const ctor = (Buffer.isBuffer(like) ? Uint8Array : like.constructor) as new (buffer: SharedArrayBuffer, offset: number, length: number) => ArrayBufferView;
    const bytes = length * ((like as Uint8Array).BYTES_PER_ELEMENT ?? 1);
    const free = this.#freeShared.findIndex((memory) => memory.byteLength >= bytes);
    const memory = free >= 0 ? this.#freeShared.splice(free, 1)[0]! : new SharedArrayBuffer(bytes);
    return new ctor(memory, 0, length);
  }

  #releaseShared(view: ArrayBufferView): void {
    // A few buffers cover a collective's calls; more would only be memory kept for nothing.
    if (this.#freeShared.length < 4) this.#freeShared.push(view.buffer as SharedArrayBuffer);
  }

  /** Runs `call`, telling the tracer (if the job is traced) when it begins and ends. */
  #traced<T>(operation: string, detail: CallDetail, call: () => Promise<T>, ended?: (value: T) => CallDetail): Promise<T> {
    const tracer = this.#services.tracer;
    if (!tracer) return call();
    const end = tracer.begin(operation, detail);
    let pending: Promise<T>;
    try {
      pending = call();
    } catch (error) {
      end();
      throw error;
    }
    return pending.then((value) => {
      end(ended?.(value));
      return value;
    }, (error: unknown) => {
      end();
      throw error;
    });
  }

  #pattern(source: number, tag: number, tagArgument = 'tag') {
    assertSource(source, this.size);
    assertRecvTag(tagArgument, tag);
    return { context: this.#context, source: source === ANY_SOURCE || source === PROC_NULL ? source : this.#group.world(source), tag };
  }

  #local(message: InboundMessage): number {
    return this.#group.local(message.source)!;
  }

  #describe(message: InboundMessage): ProbeResult {
    return { source: this.#local(message), tag: message.tag, bytes: payloadSize(message.body) };
  }
}

/** Values as shared objects: encoded once by the rank that shares them, decoded by each reader. */
function sharedValues(objects: SharedObjects): NonNullable<CollectiveChannel['objects']> {
  return {
    async share(value) {
      // A TypedArray's size is known without encoding it; anything else is measured encoded.
      if (ArrayBuffer.isView(value) && value.byteLength <= objects.threshold - RAW_HEADER_BYTES) return undefined;
      const bytes = encode(value);
      if (bytes.byteLength <= objects.threshold) return undefined;
      return { 'lambda-mpi/shared-object': await objects.put(bytes), bytes: bytes.byteLength };
    },
    async fetch(ref) {
      return decode(await objects.get(ref['lambda-mpi/shared-object'], ref.bytes));
    },
  };
}
