import type { CallDetail, CommTracer } from '../../mpi/comm/comm-tracer.ts';

/** One MPI call of a rank: when it began and ended (epoch ms, fractional), and on what. */
export interface TraceSpan extends CallDetail {
  op: string;
  start: number;
  end: number;
}

/** What a rank sends rank 0 for the timeline. */
export interface RankSpans {
  spans: TraceSpan[];
  /** Calls beyond MAX_SPANS_PER_RANK, not recorded. */
  dropped: number;
}

/**
 * A rank's calls beyond this many are counted, not kept: a timeline of a program that sends a
 * million messages would be larger than the job's data (and travels to rank 0 in the rank's report).
 */
export const MAX_SPANS_PER_RANK = 20_000;

/** Epoch milliseconds with the monotonic clock's sub-millisecond precision. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

/** Records a rank's MPI calls for the job's timeline (RunLocalOptions `trace`, `run --trace`). */
export class RankTracer implements CommTracer {
  private readonly recorded: RankSpans = { spans: [], dropped: 0 };

  /** `now`: epoch ms on the job's clock (the model's simulated one, or real time with sub-ms precision). */
  constructor(readonly now: () => number = preciseNow) {}

  begin(op: string, detail: CallDetail): (ended?: CallDetail) => void {
    const start = this.now();
    return (ended) => {
      if (this.recorded.spans.length >= MAX_SPANS_PER_RANK) {
        this.recorded.dropped++;
        return;
      }
      this.recorded.spans.push({ op, start, end: this.now(), ...detail, ...ended });
    };
  }

  get spans(): RankSpans {
    return this.recorded;
  }
}
