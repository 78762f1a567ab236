import type { ChromeTrace } from '../runtime/trace/chrome-trace.ts';

/** One span of a rank's lane, in µs from the job's start. */
export interface LaneSpan {
  name: string;
  category: string;
  start: number;
  duration: number;
  args?: Record<string, unknown>;
}

/** A moment on a rank's lane (its first message; later a checkpoint or a new generation). */
export interface LaneMark {
  name: string;
  at: number;
}

export interface RankLane {
  rank: number;
  spans: LaneSpan[];
  marks: LaneMark[];
  /** When its last span of the program ended (clean-up aside), µs. */
  endUs: number;
  /** µs by category, summed over its spans. */
  totals: Record<string, number>;
}

/** A job's trace, read back as a lane per rank: what the report draws and ranks. */
export interface JobTimeline {
  jobId: string;
  size: number;
  startedAt: string;
  /** The earliest span's start, µs: 0, or before it when a rank started before the job's clock did (threads). */
  startUs: number;
  /** The last span's end, µs. */
  spanUs: number;
  lanes: RankLane[];
  droppedCalls: number;
}

/** A wait of a rank in an MPI call, for the "longest waits" list. */
export interface LongWait {
  rank: number;
  name: string;
  start: number;
  duration: number;
}

/** Reads the Chrome trace a traced job wrote (RunResult.trace, runs/<jobId>/trace.json). */
export function timelineOf(trace: ChromeTrace): JobTimeline {
  const size = trace.otherData.size;
  const lanes: RankLane[] = Array.from({ length: size }, (_, rank) => ({ rank, spans: [], marks: [], endUs: 0, totals: {} }));
  let spanUs = 0;
  let startUs = 0;
  for (const event of trace.traceEvents) {
    const lane = lanes[event.tid];
    if (!lane) continue;
    if (event.ph === 'X') {
      const duration = event.dur ?? 0;
      const category = event.cat ?? 'other';
      lane.spans.push({ name: event.name, category, start: event.ts, duration, ...(event.args ? { args: event.args } : {}) });
      lane.totals[category] = (lane.totals[category] ?? 0) + duration;
      if (category !== 'cleanup') lane.endUs = Math.max(lane.endUs, event.ts + duration);
      spanUs = Math.max(spanUs, event.ts + duration);
      startUs = Math.min(startUs, event.ts);
    } else if (event.ph === 'i') {
      lane.marks.push({ name: event.name, at: event.ts });
    }
  }
  for (const lane of lanes) lane.spans.sort((a, b) => a.start - b.start);
  return { jobId: trace.otherData.jobId, size, startedAt: trace.otherData.startedAt, startUs, spanUs, lanes, droppedCalls: trace.otherData.droppedCalls };
}

/** The ranks whose program ended last, latest first. */
export function slowestRanks(timeline: JobTimeline, count: number): RankLane[] {
  return [...timeline.lanes].sort((a, b) => b.endUs - a.endUs || a.rank - b.rank).slice(0, count);
}

/** The longest single waits in MPI calls across all ranks, longest first. */
export function longestWaits(timeline: JobTimeline, count: number): LongWait[] {
  const waits: LongWait[] = [];
  for (const lane of timeline.lanes) {
    for (const span of lane.spans) {
      if (span.category !== 'wait') continue;
      // A bounded list: drop the shortest once it holds more than `count`.
      if (waits.length >= count && span.duration <= waits[waits.length - 1]!.duration) continue;
      waits.push({ rank: lane.rank, name: span.name, start: span.start, duration: span.duration });
      waits.sort((a, b) => b.duration - a.duration);
      if (waits.length > count) waits.pop();
    }
  }
  return waits;
}
