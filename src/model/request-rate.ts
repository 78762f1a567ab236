/**
 * A request-rate limit (the generic cell rate algorithm): `perSecond` sustained, with bursts of up
 * to one second's worth. A request that would exceed it is admitted later, as S3's retried
 * SlowDown answers would make it.
 */
export class RequestRate {
  private readonly intervalMs: number;
  private readonly toleranceMs: number;
  /** When the next request would be on schedule. */
  private theoreticalArrival = -Infinity;

  constructor(perSecond: number) {
    this.intervalMs = 1000 / perSecond;
    this.toleranceMs = 1000 - this.intervalMs;
  }

  /** The time a request that arrives at `time` is admitted. */
  admit(time: number): number {
    const admitted = Math.max(time, this.theoreticalArrival - this.toleranceMs);
    this.theoreticalArrival = Math.max(this.theoreticalArrival, admitted) + this.intervalMs;
    return admitted;
  }
}
