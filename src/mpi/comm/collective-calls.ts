import { decodePayload } from '../codec/codec.ts';
import { CollectiveMismatchError } from '../errors.ts';
import type { Engine } from '../p2p/engine.ts';
import type { InboundMessage } from '../p2p/matching.ts';
import { COLLECTIVE_NAMES, type CollectiveChannel, type CollectiveName } from './collective-channel.ts';

/**
 * Which collective call a message belongs to. Every collective call of a communicator, blocking
 * or not, takes the communicator's next call number; every rank numbers its calls alike because
 * MPI requires every rank to start the same collectives in the same order. The number is part of
 * the call's context (`<context>#c<n>`), so receives of one call never match another call's
 * messages, however many are in flight; the tag carries the call's name and root, so a rank that
 * meets a message of a different call (another name, another root) says so instead of taking it.
 *
 * Nothing is kept per context: matching compares context strings, and the link layer keys on
 * sources only. What a communicator keeps is bounded (CollectiveCalls).
 */
export interface CollectiveCall {
  /** The call's number on its communicator. */
  readonly number: number;
  /** The context its messages travel on. */
  readonly context: string;
  /** Its name and root, as its messages' tag (identityTag). */
  readonly tag: number;
  /** A nonblocking call: its receives are no part of what the rank waits on until the program waits on its request. */
  readonly background: boolean;
}

/** Room for the names: a tag is a name's index plus this times (root + 1). */
const NAME_SLOTS = 64;
/** Identities of this many calls are kept, to compare a message that comes late (or early, for one in flight) without a receive. */
const CALLS_KEPT = 256;
/** Between the communicator's context and the call number. */
const CALL_MARK = '#c';

export function identityTag(name: CollectiveName, root: number | undefined): number {
  return COLLECTIVE_NAMES.indexOf(name) + NAME_SLOTS * (root === undefined ? 0 : root + 1);
}

/** `bcast(root 0)`, `barrier`: what a mismatch error calls a call. */
export function describeIdentity(tag: number): string {
  const name = COLLECTIVE_NAMES[tag % NAME_SLOTS] ?? `collective #${tag % NAME_SLOTS}`;
  const root = Math.floor(tag / NAME_SLOTS) - 1;
  return root < 0 ? name : `${name}(root ${root})`;
}

/** Where a message's context names a collective call: its communicator's collective context and call number. */
export function collectiveCallOf(context: string): { base: string; number: number } | undefined {
  const at = context.indexOf(CALL_MARK);
  if (at < 0) return undefined;
  return { base: context.slice(0, at + CALL_MARK.length), number: Number(context.slice(at + CALL_MARK.length)) };
}

/**
 * The collective calls of one communicator on this rank: it numbers them, and checks every
 * collective message it meets against the call it belongs to. A mismatch fails the rank
 * (`Engine.fail`): what it waits on rejects with the error, and its program's outcome is that
 * error even if it returns. Kept: the identities of the last CALLS_KEPT calls started (a ring,
 * so a call costs no allocation), and for calls not started yet the first message that arrived
 * (dropped when the call starts).
 */
export class CollectiveCalls {
  #next = 0;
  /** Ring of the last CALLS_KEPT calls started: slot n % CALLS_KEPT holds call n's number and identity. */
  readonly #numbers = new Float64Array(CALLS_KEPT).fill(-1);
  readonly #tags = new Uint32Array(CALLS_KEPT);
  readonly #early = new Map<number, { source: number; tag: number }>();
  readonly #base: string;

  constructor(
    private readonly engine: Engine,
    context: string,
    private readonly rank: number,
    /** This communicator's rank of a world rank. */
    private readonly localOf: (world: number) => number,
  ) {
    this.#base = `${context}${CALL_MARK}`;
    callsOf(engine).set(this.#base, this);
    // Another rank may have started this communicator's first calls before this rank made it
    // (the world before the program, a dup or split child later): what already came is checked
    // as if it arrived now.
    for (const message of engine.parked()) {
      const call = collectiveCallOf(message.context);
      if (call?.base === this.#base) this.arrived(call.number, message);
    }
  }

  /** Starts the next call; throws CollectiveMismatchError when another call's message already came for it. */
  begin(name: CollectiveName, root: number | undefined, background: boolean): CollectiveCall {
    const number = this.#next++;
    const call = { number, context: `${this.#base}${number}`, tag: identityTag(name, root), background };
    this.#numbers[number % CALLS_KEPT] = number;
    this.#tags[number % CALLS_KEPT] = call.tag;
    if (this.#early.size === 0) return call;
    const early = this.#early.get(number);
    if (early) {
      this.#early.delete(number);
      if (early.tag !== call.tag) this.#mismatch(call.tag, early.source, early.tag);
    }
    return call;
  }

  /** A receive of `call` took `message`: it must be the same call's. */
  check(call: CollectiveCall, message: InboundMessage): void {
    if (message.tag !== call.tag) this.#mismatch(call.tag, this.localOf(message.source), message.tag);
  }

  /**
   * A message of call `number` arrived with no receive posted for it: compared with this rank's
   * call of that number if it started it (in flight or finished), else kept until it starts.
   * A finished call whose identity was the same leaves the message to the end-of-job check.
   */
  arrived(number: number, message: InboundMessage): void {
    const source = this.localOf(message.source);
    if (number >= this.#next) {
      if (!this.#early.has(number)) this.#early.set(number, { source, tag: message.tag });
      return;
    }
    const slot = number % CALLS_KEPT;
    if (this.#numbers[slot] !== number || this.#tags[slot] === message.tag) return;
    try {
      this.#mismatch(this.#tags[slot]!, source, message.tag);
    } catch {
      // Failed through the engine: the program meets the error at its next call or wait.
    }
  }

  #mismatch(own: number, source: number, theirs: number): never {
    const error = new CollectiveMismatchError(this.rank, describeIdentity(own), source, describeIdentity(theirs));
    this.engine.fail(error);
    throw error;
  }
}

const byEngine = new WeakMap<Engine, Map<string, CollectiveCalls>>();

/** The communicators' call ledgers of one engine, by collective context; the engine's unexpected messages go to them. */
function callsOf(engine: Engine): Map<string, CollectiveCalls> {
  let calls = byEngine.get(engine);
  if (!calls) {
    const ledgers = (calls = new Map());
    byEngine.set(engine, ledgers);
    engine.onUnexpected = (message) => {
      const call = collectiveCallOf(message.context);
      if (call) ledgers.get(call.base)?.arrived(call.number, message);
    };
  }
  return calls;
}

/** What a communicator lends each of its calls' channels: its shape, and sends and receives on a call's context. */
export interface CollectivePorts extends Omit<CollectiveChannel, 'send' | 'lend' | 'recv' | 'handOver'> {
  send(call: CollectiveCall, value: unknown, dest: number): Promise<void>;
  handOver?(call: CollectiveCall, frame: Uint8Array, dest: number): Promise<void>;
  lend(call: CollectiveCall, view: ArrayBufferView, dest: number): Promise<void>;
  receive(call: CollectiveCall, source: number, operation: CollectiveName): Promise<InboundMessage>;
}

/**
 * The channel one collective call runs over: every message it sends carries the call's number
 * and identity, and every message it receives is checked to be the same call's. The algorithms
 * (collectives.ts and any other) know nothing of it.
 */
export class CallChannel implements CollectiveChannel {
  constructor(private readonly ports: CollectivePorts, private readonly calls: CollectiveCalls, readonly call: CollectiveCall) {}

  get rank(): number { return this.ports.rank; }
  get size(): number { return this.ports.size; }
  get splitVectors(): boolean { return this.ports.splitVectors; }
  get lendsViews(): boolean { return this.ports.lendsViews; }
  get barrierRadix(): number { return this.ports.barrierRadix; }
  get objects(): CollectiveChannel['objects'] { return this.ports.objects; }
  get takeShared(): CollectiveChannel['takeShared'] { return this.ports.takeShared; }
  get releaseShared(): CollectiveChannel['releaseShared'] { return this.ports.releaseShared; }
  get handOver(): CollectiveChannel['handOver'] {
    const port = this.ports.handOver;
    return port && ((frame, dest) => port(this.call, frame, dest));
  }

  send(value: unknown, dest: number): Promise<void> {
    return this.ports.send(this.call, value, dest);
  }

  lend(value: ArrayBufferView, dest: number): Promise<void> {
    return this.ports.lend(this.call, value, dest);
  }

  async recv(source: number, operation: CollectiveName): Promise<unknown> {
    const message = await this.ports.receive(this.call, source, operation);
    this.calls.check(this.call, message);
    return decodePayload(message.body);
  }
}
