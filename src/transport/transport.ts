/**
 * The interface every transport backend implements: it moves opaque frames between the ranks of
 * one job. It may deliver a frame more than once and out of order (SQS standard queues do);
 * the link layer above (src/mpi/p2p/link.ts) restores order and drops duplicates.
 */
import type { Payload } from '../mpi/codec/codec.ts';
import type { WaitDescription } from '../mpi/p2p/wait-description.ts';
import type { PendingUpload } from '../job-store/pending-uploads.ts';

export type FrameKind = 'data' | 'ctrl';

/**
 * What a transport's send returns when the frame is already stored for its destination as send
 * returns: a caller that sees this very promise may count the send complete at once (an isend's
 * request), instead of a turn later.
 */
export const STORED: Promise<void> = Promise.resolve();

export interface Frame {
  kind: FrameKind;
  /** World ranks. */
  source: number;
  dest: number;
  /** Position in the source→dest stream, assigned by the link layer; starts at 0. */
  seq: number;
  /** Communicator context of a data frame ('' for control frames). */
  context: string;
  tag: number;
  /**
   * The encoded value (src/mpi/codec) or control message; an in-process clone only on transports
   * that say `inProcess`.
   */
  body: Payload;
}

/** A frame whose body is bytes: what every transport between processes carries. */
export type ByteFrame = Frame & { body: Uint8Array };

export function assertByteFrame(frame: Frame): asserts frame is ByteFrame {
  if (!(frame.body instanceof Uint8Array)) {
    throw new Error('an in-process value reached a transport between processes (the sender must encode to bytes)');
  }
}

/**
 * Objects every rank of the job can read (S3 on AWS). A value too large for a queue message is
 * stored once and read by each rank that needs it, instead of being copied from rank to rank
 * through one sender's bandwidth.
 */
export interface SharedObjects {
  /** Encoded values larger than this are worth storing as shared objects. */
  readonly threshold: number;
  /** Stores `bytes`; resolves to the name every rank reads them by. */
  put(bytes: Uint8Array): Promise<string>;
  /** The `length` bytes stored under `name`, in a buffer of this rank's own. */
  get(name: string, length: number): Promise<Uint8Array>;
}

/**
 * What the link layer did with a frame a transport handed it: `taken` (delivered, held in order,
 * or dropped as a duplicate), or `later`: it is too far ahead of the frames still missing from its
 * source to be held (link.ts, REORDER_WINDOW). A transport that can bring the frame again later
 * (SQS redelivers a message left undeleted) should; one that delivers in order never sees it.
 */
export type Delivery = 'taken' | 'later';

/**
 * Messages a transport refused before the link layer saw them (over SQS: they failed
 * authentication), by why. Never delivered, never fatal: counted in the job's link stats.
 */
export interface RejectedMessages {
  /** Not a message of lambda-mpi's format at all (garbage), or a sealed one a faulty sender built wrong. */
  malformed: number;
  /** The MAC did not match: forged, truncated or altered, or sealed for another job or another rank's queue. */
  unauthentic: number;
  /** A claim-checked body whose S3 object is not the one its (authentic) frame names by digest and length. */
  badClaim: number;
}

/** What rank 0 writes once every rank's part of a checkpoint is stored: the checkpoint is then complete. */
export interface CheckpointManifest {
  /** 1, 2, 3, … over the whole job. */
  checkpoint: number;
  /** The generation that wrote it. */
  generation: number;
  size: number;
  /** Each rank's receipt for its part (what `write` resolved to), index = rank. */
  parts: string[];
}

/**
 * Where a job keeps its checkpoints (comm.checkpoint): one object per rank and checkpoint, and a
 * manifest per complete checkpoint (S3 on AWS; memory or a folder for runs in this process).
 */
export interface CheckpointObjects {
  /** Stores a rank's part; resolves to its receipt (e.g. its length and digest), kept in the manifest. */
  write(checkpoint: number, rank: number, bytes: Uint8Array): Promise<string>;
  read(checkpoint: number, rank: number): Promise<Uint8Array>;
  /** Rank 0, once every rank's part is stored. */
  complete(manifest: CheckpointManifest): Promise<void>;
  /** The latest complete checkpoint (a checkpoint whose manifest was never written does not count). */
  latest(): Promise<CheckpointManifest | undefined>;
}

/** Notes a job's pending multipart uploads where its cleanup finds them. */
export interface PendingUploadNotes {
  note(upload: PendingUpload): Promise<void>;
}

export interface Transport {
  readonly rank: number;
  readonly size: number;
  /** Present on transports between processes that have a store every rank reads. */
  readonly sharedObjects?: SharedObjects;
  /** Present on transports whose job keeps its checkpoints in their store (S3). */
  readonly checkpoints?: CheckpointObjects;
  /**
   * Present on transports whose job has working objects in S3 that its cleanup deletes: a file's
   * multipart upload is noted there before its parts are sent, so that cleanup (or the sweeper)
   * aborts it if the job dies inside close (job-store/pending-uploads.ts).
   */
  readonly pendingUploads?: PendingUploadNotes;
  /**
   * Resolves when this rank's process is up: a placement that models start-up (src/model) says
   * when; absent, at once. The rank checks in and runs its program only then.
   */
  readonly processUp?: Promise<void>;
  /** Resolves once the frame is stored for its destination (standard-mode send). */
  send(frame: Frame): Promise<void>;
  /**
   * Starts delivering incoming frames; called once. `deliver` answers whether the frame was
   * taken (see Delivery). `onError` hears of a failure that makes the transport unusable (the
   * rank then fails with it).
   */
  start(deliver: (frame: Frame) => Delivery, onError: (error: Error) => void): void;
  /** What this transport refused so far (a transport that authenticates what it receives). */
  readonly rejected?: RejectedMessages;
  /** Stops receiving and releases what this rank holds; idempotent. */
  close(): Promise<void>;
  /**
   * How long rank 0 waits, after the job's deadline, for the other ranks to report what they
   * were blocked on: about one message latency of this transport.
   */
  readonly reportGraceMs: number;
  /** The ranks share this process, so sends may carry structured clones instead of bytes. */
  readonly inProcess?: boolean;
  /**
   * The transport structured-clones an in-process value as it sends it (a post between threads),
   * so the sender need not copy it first.
   */
  readonly clonesValues?: boolean;
  /**
   * The ranks share this very thread, so a frame may carry a reference: a collective can lend a
   * view of its own memory for the receiver to read in place (CollectiveChannel.lend).
   */
  readonly sameThread?: boolean;
  /**
   * Told by the engine what its rank is blocked on, and `undefined` when it stops waiting (not
   * when it is stopped: the last wait stays, as what it was blocked on). A transport between
   * threads polls while its rank waits, and publishes the wait for a watchdog in another thread.
   */
  rankWaits?(wait: WaitDescription | undefined): void;
}
