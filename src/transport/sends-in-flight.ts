/**
 * The sends a transport has started and not finished, so that closing it can let them finish
 * first (a frame handed to `send` is the transport's to deliver, even when the rank ends next).
 */
export class SendsInFlight {
  private readonly pending = new Set<Promise<void>>();

  /** Remembers `sent` until it settles; returns it. */
  track(sent: Promise<void>): Promise<void> {
    this.pending.add(sent);
    void sent.catch(() => undefined).finally(() => this.pending.delete(sent));
    return sent;
  }

  /** When every send started so far has settled, whatever its outcome. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }
}
