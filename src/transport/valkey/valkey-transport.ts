import type { Redis } from 'ioredis';
import { TransportError } from '../../mpi/errors.ts';
import { noRejections } from '../../mpi/p2p/link.ts';
import { assertByteFrame, type CheckpointObjects, type Delivery, type Frame, type PendingUploadNotes, type RejectedMessages, type SharedObjects, type Transport } from '../transport.ts';
import type { JobS3 } from './job-s3.ts';
import { DIGEST_BYTES, type JobKey } from '../aws/job-key.ts';
import { openSealedBytes, refusalLine, sealMessages, type MessageRejection, type MessageSeal, type ParsedFrame, type WireFrame, type WireLimits } from '../aws/wire.ts';
import type { RequestMeter } from '../aws/request-meter.ts';
import { openValkeyConnection, type ValkeyConnection } from './valkey-connection.ts';
import { inboxKey } from './valkey-keys.ts';
import { printableUrl, type ValkeySettings } from './valkey-settings.ts';
import { SendsInFlight } from '../sends-in-flight.ts';

export interface ValkeyTransportOptions {
  settings: ValkeySettings;
  jobId: string;
  rank: number;
  size: number;
  /** The job's key: every message is sealed with it, as over SQS, and one that fails its check is dropped. */
  jobKey: JobKey;
  /** The connection this rank pushes on: shared by the ranks of one process, or the rank's own. */
  sender: Promise<ValkeyConnection>;
  /** Close the sender with this rank (it is the rank's own). */
  ownsSender?: boolean;
  /** This rank's popping connection, opened already (else start() opens it). */
  receiver?: Promise<ValkeyConnection>;
  /** Where the popping connection start() opens counts its commands (the job's, with its sender's). */
  meter?: RequestMeter;
  /** S3 for bodies above the claim-check threshold and for shared objects, when the job has it. */
  s3?: JobS3;
  /** Where the one line per kind of refused message goes (standard error by default). */
  warn?: (line: string) => void;
  /** The job's generation on a stage (absent: 0): each generation has lists of its own (valkey-keys.ts). */
  generation?: number;
}

/** Frames packed into one list element, at most (a larger frame goes alone). */
const MESSAGE_BYTES = 1024 * 1024;
/** Elements one pop takes at most: a burst is handed up in a few round trips, not one each. */
const POP_COUNT = 256;
/** Pops written ahead on the receiving connection (receive). */
const POPS_IN_FLIGHT = 2;
/**
 * Rank 0 waits this long past the deadline for the others' reports: a Valkey round trip is a
 * millisecond, but a rank's report waits for its turn on a loaded machine too.
 */
export const VALKEY_REPORT_GRACE_MS = 1_000;

/**
 * RPUSH, then PEXPIRE of the same list, written to the socket together (one write, so the server
 * gets both or neither: a list is never left without its TTL by a sender that dies between them)
 * and answered by the push's reply alone. A blocked pop is served as soon as the RPUSH ran, so the
 * PEXPIRE is off the message's path; a script doing both took the server several times a plain
 * RPUSH's time on every hop (INFO commandstats; bench case valkey.roundtrip-small.np2). A list its owner emptied at
 * once has no key left for the PEXPIRE, and needs none.
 */
function pushWithTtl(redis: Redis, key: string, ttlMs: string, messages: Buffer[]): Promise<unknown> {
  const socket = redis.stream;
  socket.cork();
  try {
    const pushed = redis.rpush(key, ...messages);
    redis.pexpire(key, ttlMs).catch(() => undefined);
    return pushed;
  } finally {
    socket.uncork();
  }
}

/** BLMPOP's arguments for one rank's list: block without end, take up to POP_COUNT from the left. */
type PopArguments = readonly ['0', '1', string, 'LEFT', 'COUNT', string];
/** What a pop answers: the list's key and the elements taken (null: none, which a pop without end never answers). */
type Popped = [Buffer, Buffer[]] | null;

/**
 * The frames of one tick for one destination, sealed and pushed together: every frame's send
 * settles with the one push, so they share one promise.
 */
interface Lane {
  wires: WireFrame[];
  sent: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

function openLane(): Lane {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const sent = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { wires: [], sent, resolve, reject };
}

/**
 * A rank's transport over Valkey: one list per rank, `RPUSH`ed by its senders (the frames of one
 * tick for one destination packed into one sealed element, its list's TTL renewed in the same
 * write) and popped by its owner with `BLMPOP` on a connection of its own (a blocking pop holds
 * its connection). A list delivers in order, once; the link layer above does not rely on it.
 *
 * A small message's hop is the round trip's whole cost, so its path does no more than it must:
 * one promise per push shared by its frames, no turn between a send and its push, the sender's
 * connection and the lists' keys looked up once, a message without claim checks delivered
 * without an await, and a pop always waiting on the server, the next written after the push a
 * delivery sets going, not before it.
 */
export class ValkeyTransport implements Transport {
  readonly rank: number;
  readonly size: number;
  readonly reportGraceMs = VALKEY_REPORT_GRACE_MS;
  readonly rejected: RejectedMessages = noRejections();
  readonly sharedObjects?: SharedObjects;
  readonly checkpoints?: CheckpointObjects;
  readonly pendingUploads?: PendingUploadNotes;
  private readonly limits: WireLimits;
  private readonly seal: MessageSeal;
  private readonly lanes = new Map<number, Lane>();
  private readonly sends = new SendsInFlight();
  /** Each rank's list, by rank. */
  private readonly inboxKeys: string[];
  /** The sender's connection once it is open (until then, pushes wait for `options.sender`). */
  private sender: ValkeyConnection | undefined;
  private receiver: Promise<ValkeyConnection> | undefined;
  /** The list's TTL as PEXPIRE takes it, spelled once. */
  private readonly ttlMs: string;
  private closing = false;
  private closed: Promise<void> | undefined;

  constructor(private readonly options: ValkeyTransportOptions) {
    this.rank = options.rank;
    this.size = options.size;
    this.seal = { jobId: options.jobId, key: options.jobKey };
    this.ttlMs = String(options.settings.ttlSeconds * 1000);
    this.limits = { maxRawBytes: MESSAGE_BYTES, claimCheckThreshold: options.s3 ? options.settings.claimCheckBytes : Number.POSITIVE_INFINITY };
    this.inboxKeys = Array.from({ length: options.size }, (_, rank) => inboxKey(options.settings.keyPrefix, options.jobId, rank, options.generation));
    if (options.s3) this.sharedObjects = options.s3.sharedObjects(this.rank, options.settings.claimCheckBytes);
    if (options.s3) this.checkpoints = options.s3.checkpoints;
    if (options.s3) this.pendingUploads = options.s3.pendingUploads;
    // A sender that fails to open fails each push that waits for it (flush), where it is reported.
    options.sender.then((connection) => (this.sender = connection), () => undefined);
  }

  send(frame: Frame): Promise<void> {
    try {
      assertByteFrame(frame);
    } catch (error) {
      return Promise.reject(error);
    }
    if (frame.body.byteLength <= this.limits.claimCheckThreshold) return this.push({ frame, claimChecked: false });
    return this.sends.track(this.claimCheck(frame));
  }

  private async claimCheck(frame: Frame & { body: Uint8Array }): Promise<void> {
    const bodyDigest = await this.options.s3!.claims.put(frame);
    return this.push({ frame, claimChecked: true, bodyDigest });
  }

  /** Queues a frame for its destination; the frames of this tick go together (flush). */
  private push(wire: WireFrame): Promise<void> {
    const dest = wire.frame.dest;
    let lane = this.lanes.get(dest);
    if (!lane) {
      this.lanes.set(dest, (lane = openLane()));
      this.sends.track(lane.sent);
      queueMicrotask(() => this.flush(dest));
    }
    lane.wires.push(wire);
    return lane.sent;
  }

  private flush(dest: number): void {
    const lane = this.lanes.get(dest)!;
    this.lanes.delete(dest);
    const key = this.inboxKeys[dest]!;
    let messages: Buffer[];
    try {
      messages = sealMessages(lane.wires, this.limits, this.seal);
    } catch (error) {
      lane.reject(error);
      return;
    }
    const pushed = this.sender
      ? pushWithTtl(this.sender.redis, key, this.ttlMs, messages)
      : this.options.sender.then(({ redis }) => pushWithTtl(redis, key, this.ttlMs, messages));
    pushed.then(lane.resolve, (error: unknown) => {
      lane.reject(error instanceof TransportError ? error : new TransportError('Valkey RPUSH', `pushing ${messages.length} message(s) to ${key} on ${printableUrl(this.options.settings.url)} failed: ${(error as Error).message}`, { cause: error }));
    });
  }

  start(deliver: (frame: Frame) => Delivery, onError: (error: Error) => void): void {
    this.receiver = this.options.receiver ?? openValkeyConnection(this.options.settings, `${this.options.jobId}-${this.rank}`, this.options.meter);
    void this.receive(this.receiver, deliver).catch((error: unknown) => {
      if (!this.closing) onError(error instanceof Error ? error : new Error(String(error)));
    });
  }

  /**
   * Pops this rank's list until closed; a lost connection ends it with the connection's error.
   *
   * POPS_IN_FLIGHT pops are written ahead, so the server always holds one for this list: it
   * serves a connection's commands in order, the second once the first has answered. A pop that
   * answers is replaced in the check phase of that turn, once the deliveries and what they set
   * going (a reply's push, flushed in a microtask) are written: written at once, its write would
   * hold up the reply, the round trip's path (bench case valkey.roundtrip-small.np2); and a
   * message that comes while the program computes after a delivery is still popped meanwhile, by
   * the pop already on the server.
   */
  private async receive(opening: Promise<ValkeyConnection>, deliver: (frame: Frame) => Delivery): Promise<void> {
    const connection = await opening;
    const key = this.inboxKeys[this.rank]!;
    const pop: PopArguments = ['0', '1', key, 'LEFT', 'COUNT', String(POP_COUNT)];
    const pops: Array<Promise<Popped>> = [];
    let toppingUp = false;
    const topUp = () => {
      toppingUp = false;
      while (!this.closing && pops.length < POPS_IN_FLIGHT) {
        const popping = connection.redis.blmpopBuffer(...pop);
        // Its failure is the loop's, when it comes to it (below).
        popping.catch(() => undefined);
        pops.push(popping);
      }
    };
    topUp();
    while (!this.closing) {
      // Both answered in one turn (their replies came in one read): the next is written now.
      if (pops.length === 0) topUp();
      let popped: Popped;
      try {
        popped = await pops.shift()!;
      } catch (error) {
        if (this.closing) return;
        const { lost } = await Promise.race([connection.ended, new Promise<{ lost?: TransportError }>((resolve) => setTimeout(() => resolve({}), 100))]);
        throw lost ?? new TransportError('Valkey BLMPOP', `popping ${key} on ${printableUrl(this.options.settings.url)} failed: ${(error as Error).message}`, { cause: error });
      }
      if (!toppingUp && !this.closing) {
        toppingUp = true;
        setImmediate(topUp);
      }
      for (const message of popped?.[1] ?? []) {
        const fetching = this.deliverMessage(message, deliver);
        if (fetching) await fetching;
      }
    }
  }

  /**
   * Delivers a message's frames in order. Its frames up to the first claim-checked one go at
   * once; from there on each waits for the body before it (the returned promise).
   */
  private deliverMessage(message: Buffer, deliver: (frame: Frame) => Delivery): Promise<void> | undefined {
    const opened = openSealedBytes(message, this.seal, this.rank);
    if ('rejected' in opened) {
      this.refuse(opened.rejected, opened.why);
      return undefined;
    }
    const { frames } = opened;
    for (let i = 0; i < frames.length; i++) {
      if (frames[i]!.claimChecked) return this.deliverClaimChecked(frames.slice(i), deliver);
      // A list delivers each sender's frames in order, so the link layer never defers one of an
      // honest sender's (a frame it cannot hold can only be a forged one): nothing to bring back.
      deliver(frames[i]!.frame);
    }
    return undefined;
  }

  private async deliverClaimChecked(frames: ParsedFrame[], deliver: (frame: Frame) => Delivery): Promise<void> {
    for (const parsed of frames) {
      let frame: Frame = parsed.frame;
      if (parsed.claimChecked) {
        if (!this.options.s3) {
          this.refuse('badClaim', 'a claim-checked frame on a job without S3');
          continue;
        }
        const fetched = await this.options.s3.claims.fetch(frame, parsed.bodyLength, parsed.bodyDigest ?? new Uint8Array(DIGEST_BYTES));
        // No object: the job's objects were already cleaned up, so the job is over.
        if ('gone' in fetched) continue;
        if ('mismatch' in fetched) {
          this.refuse('badClaim', fetched.mismatch);
          continue;
        }
        frame = { ...frame, body: fetched.bytes };
      }
      deliver(frame);
    }
  }

  /** Counts a refused message; says so once per kind, so a flood of them is not a flood of lines. */
  private refuse(why: MessageRejection, detail: string): void {
    if (this.rejected[why]++ > 0) return;
    (this.options.warn ?? ((text: string) => process.stderr.write(`${text}\n`)))(refusalLine(this.options.jobId, this.rank, why, detail));
  }

  /** Finishes the sends in progress, then stops receiving. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.sends.settled();
      this.closing = true;
      const receiver = await this.receiver?.catch(() => undefined);
      await receiver?.close();
      if (this.options.ownsSender) await (await this.options.sender.catch(() => undefined))?.close();
    })();
    return this.closed;
  }
}
