import { InProcessValue, RAW_HEADER_BYTES, decode, decodePayload, encode, encodePayload, lendableView, payloadSize } from '../codec/codec.ts';
import type { SharedObjects } from '../../transport/transport.ts';
import type { VectorReduction } from './vector-reductions.ts';
import { ANY_SOURCE, ANY_TAG, PROC_NULL } from '../constants.ts';
import { InvalidArgumentError } from '../errors.ts';
import type { Engine } from '../p2p/engine.ts';
import type { InboundMessage } from '../p2p/matching.ts';
import { requestFor, type Request } from '../p2p/request.ts';
import type { WaitDescription } from '../p2p/wait-description.ts';
import {
  assertDest, assertPerRankArray, assertRank, assertRecvTag, assertResultBuffer, assertSendTag, assertSource,
} from '../validation.ts';
import type { CallDetail, CommTracer } from './comm-tracer.ts';
import * as collectives from './collectives.ts';
import { CallChannel, CollectiveCalls, type CollectivePorts } from './collective-calls.ts';
import { Group, assertGroup, listedGroup } from './group.ts';
import type { CollectiveChannel, CollectiveName } from './collectives.ts';
import { PROC_NULL_STATUS, nullReceive, nullSend, startReceive, startSend, type PointToPointSpace } from './nonblocking.ts';
import { SUM, assertOp, type Op } from './ops.ts';
import { assertReceiveBuffer, fillFrom, nullReceiveInto, startReceiveInto, type ReceivedInto } from './receive-into.ts';
import { assertCounts, assertTypedArray, blockStarts, evenCounts, refusal, type TypedArray } from './vector-arguments.ts';
import * as vectors from './vector-collectives.ts';
import type { VectorResult } from './vector-collectives.ts';
import { setRanksShareMemory } from '../allocate.ts';
import { CartesianGrid, type CartOptions, type ShiftPeers } from '../topology/cartesian-grid.ts';
import { neighborAllgather, neighborAlltoall } from '../topology/neighbor-collectives.ts';
import { CheckpointError, type GenerationCheckpoints } from './checkpoint.ts';

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
  /** This rank's generation and its checkpoints (checkpoint.ts); absent: generation 0, no checkpoints. */
  readonly generation?: GenerationCheckpoints;
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

/**
 * A communicator: a group of ranks with a message space of its own. Point-to-point traffic
 * uses the context id; each collective call uses a context of its own derived from it
 * (`<context>#c<n>`, collective-calls.ts), so none matches another's messages. Ranks in the API are ranks of this communicator; the engine below speaks
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
  #childCount = 0;
  /** The lowest serial this rank would give the next communicator made by createGroup (see there). */
  #groupSerial = 0;
  /** This communicator's collective calls: their numbers, and the checks of what they receive. */
  readonly #calls: CollectiveCalls;
  readonly #ports: CollectivePorts;
  /** Shared memory this communicator's collectives gave back, for the next ones (ranks in threads). */
  readonly #freeShared: SharedArrayBuffer[] = [];
  /** Where this communicator's nonblocking point-to-point requests live. */
  readonly #space: PointToPointSpace;

  /** @internal Made by the runtime (the world) and by split, dup, create, createGroup and createCart. */
  constructor(services: RankServices, group: Group | readonly number[], context: string) {
    this.#services = services;
    this.#engine = services.engine;
    this.#group = group instanceof Group ? group : listedGroup(group, this.#engine.rank);
    this.#context = context;
    this.jobId = services.jobId;
    this.size = this.#group.size;
    this.rank = this.#group.local(this.#engine.rank)!;
    this.#space = { engine: this.#engine, group: this.#group, context };
    setRanksShareMemory(this.#engine.inProcess && !this.#engine.sameThread);
    this.#calls = new CollectiveCalls(this.#engine, context, this.rank, (world) => this.#group.local(world)!);
    this.#ports = {
      rank: this.rank,
      size: this.size,
      splitVectors: services.vectorReduction !== 'tree',
      barrierRadix: this.#engine.inProcess ? 2 : 16,
      ...(this.#engine.sharedObjects ? { objects: sharedValues(this.#engine.sharedObjects) } : {}),
      lendsViews: this.#engine.sameThread,
      send: (call, value, dest) => this.#sendOn(call.context, value, dest, call.tag),
      lend: (call, view, dest) => (this.#engine.sameThread || (this.#engine.inProcess && view.buffer instanceof SharedArrayBuffer)
        ? this.#engine.sendData(call.context, this.#group.world(dest), call.tag, new InProcessValue(view))
        : this.#sendOn(call.context, view, dest, call.tag)),
      ...(this.#engine.inProcess && !this.#engine.sameThread
        ? {
          takeShared: (like, length) => this.#takeShared(like, length),
          releaseShared: (view) => this.#releaseShared(view),
          handOver: (call, frame, dest) => this.#engine.sendData(call.context, this.#group.world(dest), call.tag, frame),
        }
        : {}),
      // Any tag: the call's context alone says which messages are its; the tag is then checked.
      receive: (call, source, operation) => {
        const peer = this.#group.world(source);
        const pattern = { context: call.context, source: peer, tag: ANY_TAG };
        return call.background ? this.#engine.receiveInBackground(pattern) : this.#engine.receive(pattern, { operation, source, tag: ANY_TAG, peer });
      },
    };
  }

  /** Where this rank runs: the host name locally, the Lambda's log stream on AWS. */
  processorName(): string {
    return this.#services.processorName();
  }

  // ---- generations (checkpoint.ts) ----

  /** 0 in a job's first generation; each generation after a checkpointIfDue that was due counts one more. */
  get generation(): number {
    return this.#services.generation?.generation ?? 0;
  }

  /** Collective over every rank of the job: resolves once every rank's `state` is durable. */
  async checkpoint(state: unknown): Promise<void> {
    const generation = this.#generations('checkpoint');
    // One span on the job's timeline (its gather and bcast inside it), so checkpoints show between generations.
    await this.#traced('checkpoint', {}, () => generation.checkpoint(this, state));
  }

  /**
   * Collective over every rank of the job: when the generation nears its end, checkpoints and
   * ends it (this call then never resolves; the program starts again in the next generation,
   * where `restore()` gives each rank its state). Not due, it costs at most one small collective
   * per ~10 s of the program's time.
   */
  checkpointIfDue(state: unknown): Promise<void> {
    const generation = this.#services.generation;
    return generation ? generation.checkpointIfDue(this, state) : Promise.resolve();
  }

  /** This rank's state at the last complete checkpoint, or undefined in a job that has none yet. */
  restore<T = unknown>(): Promise<T | undefined> {
    const generation = this.#services.generation;
    return generation ? generation.restore<T>(this) : Promise.resolve(undefined);
  }

  #generations(operation: string): GenerationCheckpoints {
    const generation = this.#services.generation;
    if (!generation) throw new CheckpointError(`${operation}: this placement keeps no checkpoints`);
    return generation;
  }

  // ---- point-to-point ----

  /**
   * Standard-mode send: resolves once the message is stored for `dest`. Not an async function:
   * the transport's promise goes to the caller as it is, which saves an await's turns per message.
   */
  send(value: unknown, dest: number, tag = 0): Promise<void> {
    try {
      assertDest('dest', dest, this.size);
      assertSendTag('tag', tag);
      if (dest === PROC_NULL) return Promise.resolve();
      if (this.#services.tracer) return this.#sendTraced(value, dest, tag);
      const lent = this.#engine.sameThread ? lendableView(value) : undefined;
      if (lent) return this.#engine.sendData(this.#context, this.#group.world(dest), tag, lent).finally(() => lent.settle());
      return this.#sendOn(this.#context, value, dest, tag);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async #sendTraced(value: unknown, dest: number, tag: number): Promise<void> {
    const tracer = this.#services.tracer!;
    const payload = encodePayload(value, this.#engine.inProcess);
    const end = tracer.begin('send', { peer: this.#group.world(dest), tag, bytes: payloadSize(payload) });
    try {
      await this.#engine.sendData(this.#context, this.#group.world(dest), tag, payload);
    } finally {
      end();
    }
  }

  /** Not an async function: one promise from the engine's to the caller's value, the fewest turns. */
  recv<T = unknown>(source: number = ANY_SOURCE, tag: number = ANY_TAG): Promise<T> {
    if (this.#services.tracer) return this.recvMessage<T>(source, tag).then(valueOf);
    try {
      const pattern = this.#pattern(source, tag);
      if (source === PROC_NULL) return Promise.resolve(undefined as T);
      return this.#engine.receive(pattern, { operation: 'recv', source, tag, peer: pattern.source }).then(decodeBody) as Promise<T>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async recvMessage<T = unknown>(source: number = ANY_SOURCE, tag: number = ANY_TAG): Promise<Message<T>> {
    const pattern = this.#pattern(source, tag);
    if (source === PROC_NULL) return { value: undefined as T, source: PROC_NULL, tag: ANY_TAG };
    const wait = { operation: 'recv', source, tag, peer: pattern.source };
    const message = await (this.#services.tracer
      ? this.#traced('recv', { peer: pattern.source, tag }, () => this.#engine.receive(pattern, wait),
        (received) => ({ peer: received.source, tag: received.tag, bytes: payloadSize(received.body) }))
      : this.#engine.receive(pattern, wait));
    return { value: decodePayload(message.body) as T, source: this.#local(message), tag: message.tag };
  }

  /** Sends and receives at once, so two ranks exchanging with each other never deadlock. */
  async sendrecv<T = unknown>(value: unknown, dest: number, source: number = ANY_SOURCE, sendtag = 0, recvtag: number = ANY_TAG): Promise<T> {
    assertDest('dest', dest, this.size);
    assertSendTag('sendtag', sendtag);
    const pattern = this.#pattern(source, recvtag, 'recvtag');
    const [message] = await this.#traced('sendrecv', { peer: dest === PROC_NULL ? PROC_NULL : this.#group.world(dest), tag: sendtag }, () => {
      const sent = dest === PROC_NULL ? undefined : this.#sendOn(this.#context, value, dest, sendtag);
      const received = source === PROC_NULL ? undefined : this.#engine.receive(pattern, { operation: 'sendrecv', source, tag: recvtag, peer: pattern.source });
      return Promise.all([received, sent]);
    }, ([received]) => (received === undefined ? {} : { source: received.source, bytes: payloadSize(received.body) }));
    return (message === undefined ? undefined : decodePayload(message.body)) as T;
  }

  /** Waits for the next matching message and describes it without receiving it. */
  async probe(source: number = ANY_SOURCE, tag: number = ANY_TAG): Promise<ProbeResult> {
    const pattern = this.#pattern(source, tag);
    if (source === PROC_NULL) return { ...PROC_NULL_STATUS };
    return this.#describe(await this.#traced('probe', { peer: pattern.source, tag }, () => this.#engine.probe(pattern, { operation: 'probe', source, tag, peer: pattern.source })));
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

  // ---- buffers ----

  /**
   * Receives a TypedArray message into `buf` (same element type, at most `buf.length` elements),
   * copying it there once; resolves to its source, tag and element count. A message of another
   * type or a longer one is an InvalidArgumentError naming `buf` (MPI_ERR_TRUNCATE).
   */
  recvInto(buf: TypedArray, source: number = ANY_SOURCE, tag: number = ANY_TAG): Promise<ReceivedInto> {
    try {
      assertReceiveBuffer(buf);
      const pattern = this.#pattern(source, tag);
      if (source === PROC_NULL) return Promise.resolve({ source: PROC_NULL, tag: ANY_TAG, count: 0 });
      const wait = { operation: 'recvInto', source, tag };
      const message = this.#services.tracer
        ? this.#traced('recvInto', { peer: pattern.source, tag }, () => this.#engine.receive(pattern, wait))
        : this.#engine.receive(pattern, wait);
      return message.then((received) => fillFrom(received, this.#local(received), buf));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** recvInto as a Request, posted now like irecv's; `buf` is filled when the message matches. */
  irecvInto(buf: TypedArray, source: number = ANY_SOURCE, tag: number = ANY_TAG): Request<ReceivedInto> {
    assertReceiveBuffer(buf);
    const pattern = this.#pattern(source, tag);
    if (source === PROC_NULL) return nullReceiveInto(this.#space, tag);
    return startReceiveInto(this.#space, pattern, buf, source, tag);
  }

  // ---- collectives ----

  barrier(): Promise<void> {
    return this.#collective('barrier', undefined, (ch) => collectives.barrier(ch));
  }

  async bcast<T>(value: T, root = 0): Promise<T> {
    assertRank('root', root, this.size);
    return this.#collective('bcast', root, (ch) => collectives.bcast(ch, value, root));
  }

  async scatter<T>(values: T[] | undefined, root = 0): Promise<T> {
    this.#assertScatter(values, root);
    return this.#collective('scatter', root, (ch) => collectives.scatter(ch, values, root));
  }

  async gather<T>(value: T, root = 0): Promise<T[] | undefined> {
    assertRank('root', root, this.size);
    return this.#collective('gather', root, (ch) => collectives.gather(ch, value, root));
  }

  allgather<T>(value: T): Promise<T[]> {
    return this.#collective('allgather', undefined, (ch) => collectives.allgather(ch, value));
  }

  async alltoall<T>(values: T[]): Promise<T[]> {
    assertPerRankArray('values', values, this.size);
    return this.#collective('alltoall', undefined, (ch) => collectives.alltoall(ch, values));
  }

  async reduce<T = any>(value: T, op: Op = SUM, root = 0): Promise<T | undefined> {
    assertOp(op);
    assertRank('root', root, this.size);
    return (await this.#collective('reduce', root, (ch) => collectives.reduce(ch, value, op, root))) as T | undefined;
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
    this.#assertAllreduce(value, op, into);
    return (await this.#collective('allreduce', undefined, (ch) => collectives.allreduce(ch, value, op, into))) as T;
  }

  async scan<T = any>(value: T, op: Op = SUM): Promise<T> {
    assertOp(op);
    return (await this.#collective('scan', undefined, (ch) => collectives.scan(ch, value, op, false))) as T;
  }

  async exscan<T = any>(value: T, op: Op = SUM): Promise<T | undefined> {
    assertOp(op);
    return (await this.#collective('exscan', undefined, (ch) => collectives.scan(ch, value, op, true))) as T | undefined;
  }

  // ---- nonblocking collectives ----
  // Each starts the blocking call's algorithm now, on a call number of its own, and returns its
  // Request at once; the algorithm advances as its messages arrive, whether or not the program
  // waits. As in MPI, a value handed to one must not be changed before the request completes.

  ibarrier(): Request<undefined> {
    return this.#startCollective('barrier', undefined, (ch) => collectives.barrier(ch).then(() => undefined));
  }

  ibcast<T>(value: T, root = 0): Request<T> {
    assertRank('root', root, this.size);
    return this.#startCollective('bcast', root, (ch) => collectives.bcast(ch, value, root));
  }

  iscatter<T>(values: T[] | undefined, root = 0): Request<T> {
    this.#assertScatter(values, root);
    return this.#startCollective('scatter', root, (ch) => collectives.scatter(ch, values, root));
  }

  igather<T>(value: T, root = 0): Request<T[] | undefined> {
    assertRank('root', root, this.size);
    return this.#startCollective('gather', root, (ch) => collectives.gather(ch, value, root));
  }

  iallgather<T>(value: T): Request<T[]> {
    return this.#startCollective('allgather', undefined, (ch) => collectives.allgather(ch, value));
  }

  ialltoall<T>(values: T[]): Request<T[]> {
    assertPerRankArray('values', values, this.size);
    return this.#startCollective('alltoall', undefined, (ch) => collectives.alltoall(ch, values));
  }

  ireduce<T = any>(value: T, op: Op = SUM, root = 0): Request<T | undefined> {
    assertOp(op);
    assertRank('root', root, this.size);
    return this.#startCollective('reduce', root, (ch) => collectives.reduce(ch, value, op, root) as Promise<T | undefined>);
  }

  iallreduce<T = any>(value: T, op: Op = SUM, into?: ArrayBufferView): Request<T> {
    this.#assertAllreduce(value, op, into);
    return this.#startCollective('allreduce', undefined, (ch) => collectives.allreduce(ch, value, op, into) as Promise<T>);
  }

  iscan<T = any>(value: T, op: Op = SUM): Request<T> {
    assertOp(op);
    return this.#startCollective('scan', undefined, (ch) => collectives.scan(ch, value, op, false) as Promise<T>);
  }

  iexscan<T = any>(value: T, op: Op = SUM): Request<T | undefined> {
    assertOp(op);
    return this.#startCollective('exscan', undefined, (ch) => collectives.scan(ch, value, op, true) as Promise<T | undefined>);
  }

  // ---- variable counts (TypedArrays; vector-collectives.ts) ----

  /** The root's `sendbuf` cut into `counts[i]` elements for rank i (from `displs[i]`, or one after another). */
  async scatterv<T extends TypedArray = TypedArray>(sendbuf: T | undefined, counts?: readonly number[], root = 0, displs?: readonly number[]): Promise<T> {
    assertRank('root', root, this.size);
    let starts: number[] | undefined;
    if (this.rank === root) {
      assertTypedArray('sendbuf', sendbuf);
      assertCounts('counts', counts, this.size);
      starts = blockStarts('counts', counts, 'displs', displs, sendbuf.length);
    }
    return this.#collective('scatterv', root, (ch) => vectors.scatterv(ch, sendbuf, counts, starts, root));
  }

  /** The root gets every rank's `sendbuf` concatenated in rank order, with each one's count; the others undefined. */
  async gatherv<T extends TypedArray = TypedArray>(sendbuf: T, root = 0): Promise<VectorResult<T> | undefined> {
    assertRank('root', root, this.size);
    assertTypedArray('sendbuf', sendbuf);
    return this.#collective('gatherv', root, (ch) => vectors.gatherv(ch, sendbuf, root));
  }

  async allgatherv<T extends TypedArray = TypedArray>(sendbuf: T): Promise<VectorResult<T>> {
    assertTypedArray('sendbuf', sendbuf);
    return this.#collective('allgatherv', undefined, (ch) => vectors.allgatherv(ch, sendbuf));
  }

  /** Rank i sends `sendcounts[j]` elements to rank j; gets what every rank sent it, in rank order. */
  async alltoallv<T extends TypedArray = TypedArray>(sendbuf: T, sendcounts: readonly number[], sdispls?: readonly number[]): Promise<VectorResult<T>> {
    assertTypedArray('sendbuf', sendbuf);
    assertCounts('sendcounts', sendcounts, this.size);
    const starts = blockStarts('sendcounts', sendcounts, 'sdispls', sdispls, sendbuf.length);
    return this.#collective('alltoallv', undefined, (ch) => vectors.alltoallv(ch, sendbuf, sendcounts, starts));
  }

  /**
   * The element-wise reduction of every rank's `value`, of which rank i keeps `counts[i]`
   * elements (counts summing to value's length), or without counts a block as equal as can be.
   */
  async reduceScatter<T extends TypedArray = TypedArray>(value: T, op: Op = SUM, counts?: readonly number[]): Promise<T> {
    assertOp(op);
    assertTypedArray('value', value);
    if (counts === undefined) counts = evenCounts(value.length, this.size);
    else assertCounts('counts', counts, this.size, value.length);
    return this.#collective('reduceScatter', undefined, (ch) => vectors.reduceScatter(ch, value, op, counts));
  }

  /** reduceScatter in equal blocks: value's length must be a multiple of the size. */
  async reduceScatterBlock<T extends TypedArray = TypedArray>(value: T, op: Op = SUM): Promise<T> {
    assertOp(op);
    assertTypedArray('value', value);
    if (value.length % this.size !== 0) {
      throw refusal('value', value, `a TypedArray whose length is a multiple of size (${this.size})`, `its length is ${value.length}`);
    }
    return this.#collective('reduceScatterBlock', undefined, (ch) => vectors.reduceScatter(ch, value, op, evenCounts(value.length, this.size), 'reduceScatterBlock'));
  }

  // ---- communicators ----

  /**
   * The ranks that pass the same color, ordered by key and then by rank here. Collective over
   * this communicator; every rank gets the new communicator of its own color.
   */
  async split(color: number, key: number = this.rank): Promise<Comm> {
    if (!Number.isInteger(color) || color < 0) throw new InvalidArgumentError('color', color, 'a non-negative integer');
    if (!Number.isInteger(key)) throw new InvalidArgumentError('key', key, 'an integer');
    const context = `${this.#nextChildContext('s')}c${color}`;
    const all = await this.#collective('split', undefined, (ch) => collectives.allgather(ch, [color, key] as const, 'split'));
    const members = all
      .map(([memberColor, memberKey], rank) => ({ memberColor, memberKey, rank }))
      .filter((member) => member.memberColor === color)
      .sort((a, b) => a.memberKey - b.memberKey || a.rank - b.rank)
      .map((member) => this.#group.world(member.rank));
    return new Comm(this.#services, members, context);
  }

  /** The same ranks, with a message space that never matches this one's. */
  dup(): Comm {
    return new Comm(this.#services, this.#group, this.#nextChildContext('d'));
  }

  /** This communicator's ranks, in order (MPI_Comm_group): local, synchronous. */
  get group(): Group {
    return this.#group;
  }

  /**
   * A communicator of `group`'s ranks, in its order (MPI_Comm_create); undefined on ranks
   * outside it. Collective over this communicator, which every rank calls in the same order;
   * ranks may pass different groups if they do not overlap (as MPI allows), each group then
   * getting its own communicator. Nothing is sent: the context follows from the call's order.
   */
  async create(group: Group): Promise<Comm | undefined> {
    this.#assertSubgroup(group);
    const context = this.#nextChildContext('c');
    return this.#traced('create', {}, async () => (group.rank === undefined ? undefined : new Comm(this.#services, group, context)));
  }

  /**
   * A communicator of `group`'s ranks, in its order (MPI_Comm_create_group); collective over
   * the group only, so ranks outside it need not call it (they get undefined at once). Calls made
   * at the same time on one rank must differ in `tag`, as MPI asks.
   *
   * The members agree on a serial: the largest of their next serials. A rank's next serial is
   * past every one it agreed to before, so two communicators from this call on this
   * communicator never share a context if they share a rank (with the tag, concurrent calls on
   * one rank do not either); disjoint ones may, as split's colors do.
   */
  async createGroup(group: Group, tag = 0): Promise<Comm | undefined> {
    this.#assertSubgroup(group);
    assertSendTag('tag', tag);
    if (group.rank === undefined) return undefined;
    const proposed = this.#groupSerial++;
    // Over a communicator of the group's own: the others of this communicator may be busy in its collectives meanwhile.
    const members = new Comm(this.#services, group, `${this.#context}#g${tag}`);
    const serial = Math.max(...(await members.#collective('createGroup', undefined, (ch) => collectives.allgather(ch, proposed, 'createGroup'))));
    this.#groupSerial = Math.max(this.#groupSerial, serial + 1);
    return new Comm(this.#services, group, `${this.#context}.g${serial}t${tag}`);
  }

  /**
   * A Cartesian grid over this communicator's first dims[0]·dims[1]·… ranks (MPI_Cart_create),
   * with ranks kept as they are (any `reorder`); undefined on the ranks beyond. Collective over
   * this communicator, like split; nothing is sent.
   */
  async createCart(dims: readonly number[], options: CartOptions = {}): Promise<CartComm | undefined> {
    const grid = CartesianGrid.create(dims, options, this.size);
    const context = this.#nextChildContext('t');
    return this.#traced('createCart', {}, async () => (this.rank < grid.size ? new CartComm(this.#services, this.#group.first(grid.size), context, grid) : undefined));
  }

  /** Fails the whole job now (MPI_Abort): every rank is stopped and the caller gets `reason`. */
  abort(reason: unknown = 'comm.abort() called'): Promise<never> {
    return this.#services.abort(reason instanceof Error ? reason.message : String(reason));
  }

  /** @internal One span of the job's trace (when traced) around `call`: how File's calls show on the timeline, with the bytes they moved. */
  tracedCall<T>(operation: string, call: () => Promise<T>, bytes?: (value: T) => number): Promise<T> {
    return this.#traced(operation, {}, call, bytes ? (value) => ({ bytes: bytes(value) }) : undefined);
  }

  // ---- for communicators with a topology (CartComm) ----

  /** @internal What made this communicator, for its children. */
  protected get rankServices(): RankServices {
    return this.#services;
  }

  /** @internal The context of the next child communicator, `kind` telling how it was made. Collective calls only. */
  protected nextChildContext(kind: string): string {
    return this.#nextChildContext(kind);
  }

  /** @internal Runs a collective of a subclass as a call of this communicator's (collective-calls.ts), traced by name. */
  protected runCollective<T>(operation: CollectiveName, run: (channel: CollectiveChannel) => Promise<T>): Promise<T> {
    return this.#collective(operation, undefined, run);
  }

  /** @internal A collective of a subclass that sends nothing, traced by name. */
  protected tracedLocally<T>(operation: string, run: () => Promise<T>): Promise<T> {
    return this.#traced(operation, {}, run);
  }

  // ---- internals ----

  /**
   * Runs one collective call on a channel of its own (its call number and identity on every
   * message: collective-calls.ts), traced under its name (`ibcast` for a nonblocking one). Every collective, blocking or not, comes
   * through here, so each takes the next call number in the order the program starts them.
   */
  #collective<T>(name: CollectiveName, root: number | undefined, run: (ch: CollectiveChannel) => Promise<T>, nonblocking = false): Promise<T> {
    let channel: CallChannel;
    try {
      channel = new CallChannel(this.#ports, this.#calls, this.#calls.begin(name, root, nonblocking));
    } catch (error) {
      return Promise.reject(error);
    }
    if (!this.#services.tracer) return run(channel);
    return this.#traced(nonblocking ? `i${name}` : name, root === undefined ? {} : { root: this.#group.world(root) }, () => run(channel));
  }

  /** A nonblocking collective: the call starts now; its Request completes with what the blocking call resolves to. */
  #startCollective<T>(name: CollectiveName, root: number | undefined, run: (ch: CollectiveChannel) => Promise<T>): Request<T> {
    const operation = `i${name}`;
    const shown: WaitDescription = { operation, source: root ?? ANY_SOURCE, tag: ANY_TAG };
    return requestFor<T>('operation', this.#engine, shown, this.#collective(name, root, run, true));
  }

  #assertScatter(values: unknown[] | undefined, root: number): void {
    assertRank('root', root, this.size);
    if (this.rank === root) assertPerRankArray('values', values, this.size);
  }

  #assertAllreduce(value: unknown, op: Op, into: ArrayBufferView | undefined): void {
    assertOp(op);
    if (into !== undefined) assertResultBuffer(value, into);
  }

  #nextChildContext(kind: string): string {
    return `${this.#context}.${kind}${this.#childCount++}`;
  }

  #assertSubgroup(group: Group): void {
    assertGroup('group', group);
    for (let rank = 0; rank < group.size; rank++) {
      if (this.#group.local(group.world(rank)) === undefined) {
        throw new InvalidArgumentError('group', group, 'a group of ranks of this communicator (comm.group, or one made from it)', `holds a rank that is not in this communicator (its rank ${rank})`);
      }
    }
  }

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

/**
 * A communicator whose ranks form a Cartesian grid (MPI's Cartcomm), made by `comm.createCart`.
 * The grid's arithmetic is CartesianGrid's; what is here is what needs the communicator.
 */
export class CartComm extends Comm {
  readonly #grid: CartesianGrid;
  readonly #neighbors: readonly number[];
  /** Extent of each dimension. */
  readonly dims: readonly number[];
  /** Whether each dimension wraps around. */
  readonly periods: readonly boolean[];
  /** This rank's coordinates. */
  readonly coords: readonly number[];

  /** @internal Made by createCart, sub and dup. */
  constructor(services: RankServices, group: Group, context: string, grid: CartesianGrid) {
    super(services, group, context);
    this.#grid = grid;
    this.dims = grid.dims;
    this.periods = grid.periods;
    this.coords = Object.freeze(grid.coords(this.rank));
    this.#neighbors = grid.neighbors(this.rank);
  }

  /** The rank at `coords` (MPI_Cart_rank); coordinates out of range wrap on periodic dimensions. */
  cartRank(coords: readonly number[]): number {
    return this.#grid.rank(coords);
  }

  /** The coordinates of `rank` (MPI_Cart_coords). */
  cartCoords(rank: number): number[] {
    assertRank('rank', rank, this.size);
    return this.#grid.coords(rank);
  }

  /** The ranks `disp` steps back (source) and ahead (dest) along `direction` (MPI_Cart_shift); PROC_NULL past a non-periodic edge. */
  shift(direction: number, disp = 1): ShiftPeers {
    return this.#grid.shift(this.rank, direction, disp);
  }

  /**
   * The grid of the dimensions kept (`remainDims[i]` true) through this rank (MPI_Cart_sub):
   * ranks ordered by their coordinates in it. Collective; nothing is sent.
   */
  async sub(remainDims: readonly boolean[]): Promise<CartComm> {
    const { grid, members, index } = this.#grid.sub(this.rank, remainDims);
    const context = `${this.nextChildContext('u')}c${index}`;
    return this.tracedLocally('sub', async () => new CartComm(this.rankServices, this.group.listed(members.map((rank) => this.group.world(rank))), context, grid));
  }

  /** The same grid, with a message space that never matches this one's. */
  override dup(): CartComm {
    return new CartComm(this.rankServices, this.group, this.nextChildContext('d'), this.#grid);
  }

  /** Every neighbor's value: along each dimension, the rank a step back, then a step ahead; undefined where there is none (PROC_NULL). */
  neighborAllgather<T>(value: T): Promise<Array<T | undefined>> {
    return this.runCollective('neighborAllgather', (channel) => neighborAllgather(channel, this.#neighbors, value));
  }

  /** values[k] goes to neighbor k (in neighborAllgather's order); slot k of the result is what neighbor k sent this rank. */
  async neighborAlltoall<T>(values: readonly T[]): Promise<Array<T | undefined>> {
    const count = this.#neighbors.length;
    if (!Array.isArray(values) || values.length !== count) {
      throw new InvalidArgumentError('values', values, `an array of exactly ${count} values, one per neighbor (2 per dimension: back, then ahead)`);
    }
    return this.runCollective('neighborAlltoall', (channel) => neighborAlltoall(channel, this.#neighbors, values));
  }
}

function valueOf<T>(message: Message<T>): T {
  return message.value;
}

function decodeBody(message: InboundMessage): unknown {
  return decodePayload(message.body);
}
