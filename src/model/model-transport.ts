import { RAW_HEADER_BYTES, payloadBytes } from '../mpi/codec/codec.ts';
import { AWS_REPORT_GRACE_MS } from '../transport/aws/aws-transport.ts';
import { MAX_IN_FLIGHT_PER_QUEUE, planBatchCalls } from '../transport/aws/outbox.ts';
import { base64Length, planMessages, type WireFrame } from '../transport/aws/wire.ts';
import { assertByteFrame, type ByteFrame, type Delivery, type Frame, type CheckpointManifest, type CheckpointObjects, type SharedObjects, type Transport } from '../transport/transport.ts';
import { modeledCheckpoints } from './modeled-checkpoints.ts';
import type { WireLimits } from '../transport/aws/wire.ts';
import type { ModeledAws } from './modeled-aws.ts';
import { ModeledReceiver, type ModeledFrame, type ModeledMessage, type ModeledQueue } from './modeled-queue.ts';
import type { Scheduler } from './scheduler.ts';
import { claimCheckKey, sharedObjectKey } from '../job-store/keys.ts';

/** What a rank's transport needs of its job (ModeledJob). */
export interface ModelTransportHost {
  readonly jobId: string;
  readonly size: number;
  readonly scheduler: Scheduler;
  readonly aws: ModeledAws;
  readonly queues: readonly ModeledQueue[];
  readonly limits: WireLimits;
  readonly maxMessageBytes: number;
  /** Whether messages travel as base64 text (SQS) or as raw bytes (Valkey). */
  readonly base64: boolean;
  /** The bytes a frame's body, or a shared object, stands for on the wire. */
  modeledBodyBytes(frame: ByteFrame): number;
  modeledObjectBytes(bytes: Uint8Array): number;
  /** The shared objects' bytes, by name (the modeled S3 holds only their sizes and times). */
  readonly sharedBytes: Map<string, Uint8Array>;
  /** The job's complete checkpoints (modeled-checkpoints.ts). */
  readonly checkpointManifests: Map<number, CheckpointManifest>;
  rankClosed(rank: number, time: number): void;
}

interface Outgoing {
  item: ModeledFrame;
  acked(): void;
}

/** Frames waiting for one destination queue, and the requests in flight to it (src/transport/aws/outbox.ts). */
interface Lane {
  pending: Outgoing[];
  inFlight: number;
  flushScheduled: boolean;
}

/**
 * One rank's transport in the model: the AWS transport's behaviour on the modeled services.
 * Frames are stored and delivered for real (the program runs unchanged), but every step costs
 * what AwsTransport's step would: bodies above the claim-check threshold go to S3 first; frames
 * for one queue share messages and SendMessageBatch calls (at most MAX_IN_FLIGHT_PER_QUEUE in
 * flight, later frames wait and go together); a send resolves when SQS answers; receiving is
 * ModeledReceiver. Everything a turn of the program starts leaves when the turn ends.
 */
export class ModelTransport implements Transport {
  readonly reportGraceMs = AWS_REPORT_GRACE_MS;
  readonly inProcess = false;
  private readonly lanes = new Map<number, Lane>();
  private receiver: ModeledReceiver | undefined;
  private receivingFrom: number | undefined;
  private unacknowledged = 0;
  private drained: (() => void) | undefined;
  private closing: Promise<void> | undefined;
  private sharedCount = 0;
  readonly sharedObjects: SharedObjects;
  readonly checkpoints: CheckpointObjects;
  readonly processUp: Promise<void>;
  private markUp!: () => void;

  constructor(
    private readonly job: ModelTransportHost,
    readonly rank: number,
  ) {
    this.processUp = new Promise((resolve) => (this.markUp = resolve));
    // As AwsTransport's: an S3 PUT by the storing rank, a GET by each reader, each through its links.
    const { scheduler, aws, jobId } = job;
    this.checkpoints = modeledCheckpoints(job, rank);
    this.sharedObjects = {
      threshold: job.limits.claimCheckThreshold,
      put: (bytes) => new Promise<string>((resolve) => {
        const index = this.sharedCount++;
        const name = `${rank}-${index}`;
        job.sharedBytes.set(name, bytes);
        scheduler.afterTurn(rank, (time) => aws.s3Put(rank, sharedObjectKey(jobId, rank, index), job.modeledObjectBytes(bytes), time, (stored) => {
          scheduler.atTurn(rank, stored, () => resolve(name));
        }));
      }),
      get: (name, _length) => new Promise<Uint8Array>((resolve) => {
        const [owner, index] = name.split('-').map(Number) as [number, number];
        const bytes = job.sharedBytes.get(name)!;
        scheduler.afterTurn(rank, (time) => aws.s3Get(rank, sharedObjectKey(jobId, owner, index), job.modeledObjectBytes(bytes), time, (fetched) => {
          // Each reader gets its own copy, as from S3: a decoded view must not be shared between ranks.
          scheduler.atTurn(rank, fetched, () => resolve(new Uint8Array(bytes)));
        }));
      }),
    };
  }

  get size(): number {
    return this.job.size;
  }

  send(frame: Frame): Promise<void> {
    assertByteFrame(frame);
    this.unacknowledged++;
    return new Promise<void>((resolve) => {
      const acked = () => {
        resolve();
        if (--this.unacknowledged === 0) this.drained?.();
      };
      this.job.scheduler.afterTurn(this.rank, (time) => this.store(frame, time, acked));
    });
  }

  start(deliver: (frame: Frame) => Delivery): void {
    this.receiver = new ModeledReceiver(this.job.aws, this.rank, this.job.jobId, this.job.queues[this.rank]!, deliver);
    if (this.receivingFrom !== undefined) this.receiver.start(this.receivingFrom);
  }

  /**
   * The rank's process is up at `time` (the start-up model says when): its receive loop begins,
   * and in its own turn then, the rank goes on (processUp).
   */
  beginReceiving(time: number): void {
    if (this.receivingFrom !== undefined) return;
    this.receivingFrom = time;
    this.receiver?.start(time);
    this.job.scheduler.atTurn(this.rank, time, () => this.markUp());
  }

  /** Finishes the sends in progress, then stops receiving (AwsTransport.close). */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      const finish = () => {
        this.receiver?.stop();
        this.job.rankClosed(this.rank, this.job.scheduler.timeOf(this.rank));
        resolve();
      };
      if (this.unacknowledged === 0) finish();
      else this.drained = finish;
    });
    return this.closing;
  }

  private store(frame: ByteFrame, time: number, acked: () => void): void {
    const bodyBytes = this.job.modeledBodyBytes(frame);
    const claimChecked = bodyBytes > this.job.limits.claimCheckThreshold;
    const outgoing: Outgoing = { item: { frame, claimChecked, bodyBytes }, acked };
    if (!claimChecked) {
      this.enqueue(outgoing, time);
      return;
    }
    this.job.aws.s3Put(this.rank, claimCheckKey(this.job.jobId, frame), bodyBytes, time, (stored) => {
      this.job.scheduler.atProcess(this.rank, stored, (at) => this.enqueue(outgoing, at));
    });
  }

  private enqueue(outgoing: Outgoing, time: number): void {
    const dest = outgoing.item.frame.dest;
    let lane = this.lanes.get(dest);
    if (!lane) this.lanes.set(dest, (lane = { pending: [], inFlight: 0, flushScheduled: false }));
    lane.pending.push(outgoing);
    if (lane.flushScheduled) return;
    lane.flushScheduled = true;
    // Frames handed over at the same moment share the flush, as the outbox's microtask does.
    this.job.scheduler.atProcess(this.rank, time, (at) => {
      lane.flushScheduled = false;
      this.flush(dest, lane, at);
    });
  }

  private flush(dest: number, lane: Lane, time: number): void {
    while (lane.inFlight < MAX_IN_FLIGHT_PER_QUEUE && lane.pending.length > 0) {
      const batch = lane.pending;
      lane.pending = [];
      lane.inFlight++;
      this.sendBatch(dest, batch, time, (answered) => {
        this.job.scheduler.atTurn(this.rank, answered, () => {
          for (const outgoing of batch) outgoing.acked();
          this.job.scheduler.afterTurn(this.rank, (end) => {
            lane.inFlight--;
            this.flush(dest, lane, end);
          });
        });
      });
    }
  }

  /** Packs the batch into messages and calls as Outbox.sendAll does; `done` hears when the last call is answered. */
  private sendBatch(dest: number, batch: Outgoing[], time: number, done: (time: number) => void): void {
    const byWire = new Map<WireFrame, ModeledFrame>();
    const wires = batch.map(({ item }) => {
      // Sized as the wire would carry it: the modeled body length, not the bytes at hand.
      const wire: WireFrame = { frame: { ...item.frame, body: { byteLength: item.bodyBytes } as Uint8Array }, claimChecked: item.claimChecked };
      byWire.set(wire, item);
      return wire;
    });
    const messages: ModeledMessage[] = planMessages(wires, this.job.limits).map((planned) => ({
      frames: planned.frames.map((wire) => byWire.get(wire)!),
      bytes: this.job.base64 ? base64Length(planned.rawBytes) : planned.rawBytes,
    }));
    const calls = planBatchCalls(messages.map((m) => m.bytes), this.job.maxMessageBytes);
    let unanswered = calls.length;
    let last = time;
    for (const call of calls) {
      const inCall = call.map((i) => messages[i]!);
      const payload = inCall.reduce((sum, m) => sum + m.bytes, 0);
      this.job.aws.sqsRequest(this.rank, payload, time, (reached) => this.job.queues[dest]!.arrive(inCall, reached), (answered) => {
        last = Math.max(last, answered);
        if (--unanswered === 0) done(last);
      });
    }
  }
}

/**
 * The bytes a frame's body stands for: its real length, or, with a payload scale, TypedArray and
 * ArrayBuffer payloads of data frames as `scale` times larger (so a program can model vectors
 * too large to hold N copies of here).
 */
export function scaledBodyBytes(frame: ByteFrame, scale: number): number {
  return frame.kind === 'data' ? scaledPayloadBytes(frame.body, scale) : frame.body.byteLength;
}

/** An encoded value's bytes with its raw TypedArray or ArrayBuffer payload counted `scale` times. */
export function scaledPayloadBytes(bytes: Uint8Array, scale: number): number {
  const length = bytes.byteLength;
  if (scale === 1) return length;
  const payload = payloadBytes(bytes);
  if (payload === length) return length; // v8-serialized: not a raw buffer
  return RAW_HEADER_BYTES + Math.round(payload * scale);
}
