import type { WaitDescription } from '../mpi/p2p/wait-description.ts';
import type { CheckpointObjects, Delivery, Frame, PendingUploadNotes, RejectedMessages, SharedObjects, Transport } from './transport.ts';

/**
 * A transport that hands everything to `inner`. Wrappers (fault injection, the threads' wait
 * board) extend it and override only what they change, so none of them drops a capability of the
 * transport it wraps.
 */
export class ForwardingTransport implements Transport {
  constructor(protected readonly inner: Transport) {}

  get rank(): number {
    return this.inner.rank;
  }

  get size(): number {
    return this.inner.size;
  }

  get reportGraceMs(): number {
    return this.inner.reportGraceMs;
  }

  get inProcess(): boolean | undefined {
    return this.inner.inProcess;
  }

  get sameThread(): boolean | undefined {
    return this.inner.sameThread;
  }

  get clonesValues(): boolean | undefined {
    return this.inner.clonesValues;
  }

  get sharedObjects(): SharedObjects | undefined {
    return this.inner.sharedObjects;
  }

  get checkpoints(): CheckpointObjects | undefined {
    return this.inner.checkpoints;
  }

  get pendingUploads(): PendingUploadNotes | undefined {
    return this.inner.pendingUploads;
  }

  get processUp(): Promise<void> | undefined {
    return this.inner.processUp;
  }

  send(frame: Frame): Promise<void> {
    return this.inner.send(frame);
  }

  get rejected(): RejectedMessages | undefined {
    return this.inner.rejected;
  }

  start(deliver: (frame: Frame) => Delivery, onError: (error: Error) => void): void {
    this.inner.start(deliver, onError);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  rankWaits(wait: WaitDescription | undefined): void {
    this.inner.rankWaits?.(wait);
  }
}
