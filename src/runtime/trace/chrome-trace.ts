import type { RankSpans, TraceSpan } from './rank-tracer.ts';

/** When a rank got to each step, in ms from the job's start: what the timeline draws (RunResult's RankTiming adds the rest). */
export interface RankTimes {
  rank: number;
  /** Its parent asked Lambda to start it. */
  invokedMs?: number;
  /** Its function's handler began (after Lambda's init phase on a cold start). */
  handlerMs?: number;
  /** Its execution environment was new: Lambda initialized it for this invocation. */
  coldStart?: boolean;
  /** That init phase (module loading), billed by Lambda. */
  initMs?: number;
  /** Its program began (it checked in with rank 0). */
  programMs?: number;
  /** It received its first frame (any message, the runtime's own included). */
  firstMessageMs?: number;
  /** Its program returned. */
  endMs?: number;
}

/**
 * A job's timeline in the Chrome trace-event format (the JSON object form), which Perfetto
 * (ui.perfetto.dev) and chrome://tracing open: one process for the job, one track (thread) per
 * rank. Each track shows the rank's start-up (invocation and cold start, loading the program,
 * rank 0's own steps), its compute (time in its program between MPI calls), every MPI call
 * (waiting in a receive or collective, with peer and tag or root; sends with their bytes) and
 * rank 0's clean-up. Times are microseconds from the job's start.
 */
export interface ChromeTrace {
  traceEvents: ChromeTraceEvent[];
  displayTimeUnit: 'ms';
  otherData: { jobId: string; size: number; startedAt: string; droppedCalls: number };
}

export interface ChromeTraceEvent {
  name: string;
  /** X: a span (ts + dur); i: an instant; M: metadata (track names and order). */
  ph: 'X' | 'i' | 'M';
  cat?: TraceCategory;
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  /** Instants: scoped to their track. */
  s?: 't';
  args?: Record<string, unknown>;
}

export type TraceCategory = 'startup' | 'compute' | 'wait' | 'send' | 'cleanup' | 'mark';

/** A step of the job outside every rank's program (rank 0's record, queues, input, clean-up), epoch ms. */
export interface JobStep {
  name: string;
  category: 'startup' | 'cleanup';
  start: number;
  end: number;
}

export interface TimelineInput {
  jobId: string;
  size: number;
  /** The job's start, epoch ms: the timings' offsets count from it. */
  startedAt: number;
  ranks: RankTimes[];
  spans: ReadonlyMap<number, RankSpans>;
  /** On rank 0's track. */
  jobSteps?: JobStep[];
}

const PID = 1;
/** Operations that only send: everything else is time spent waiting for other ranks. */
const SENDS = new Set(['send']);

export function buildChromeTrace(input: TimelineInput): ChromeTrace {
  const { startedAt } = input;
  const us = (epochMs: number) => Math.round((epochMs - startedAt) * 1000);
  const events: ChromeTraceEvent[] = [
    { name: 'process_name', ph: 'M', ts: 0, pid: PID, tid: 0, args: { name: `lambda-mpi job ${input.jobId}` } },
  ];
  let droppedCalls = 0;
  const span = (tid: number, name: string, cat: TraceCategory, start: number, end: number, args?: Record<string, unknown>) => {
    if (!(end >= start)) return;
    events.push({ name, ph: 'X', cat, ts: us(start), dur: Math.max(0, us(end) - us(start)), pid: PID, tid, ...(args ? { args } : {}) });
  };
  const byRank = new Map(input.ranks.map((timing) => [timing.rank, timing]));
  for (let rank = 0; rank < input.size; rank++) {
    events.push({ name: 'thread_name', ph: 'M', ts: 0, pid: PID, tid: rank, args: { name: `rank ${rank}` } });
    events.push({ name: 'thread_sort_index', ph: 'M', ts: 0, pid: PID, tid: rank, args: { sort_index: rank } });
    const timing = byRank.get(rank);
    const at = (offset: number | undefined) => (offset === undefined ? undefined : startedAt + offset);
    if (timing) {
      const invoked = at(timing.invokedMs);
      const handler = at(timing.handlerMs);
      const program = at(timing.programMs);
      if (invoked !== undefined && handler !== undefined) {
        span(rank, timing.coldStart ? 'invocation (cold start)' : 'invocation (warm)', 'startup', invoked, handler, {
          coldStart: timing.coldStart ?? false, ...(timing.initMs !== undefined ? { initMs: timing.initMs } : {}),
        });
      }
      if (timing.coldStart && timing.initMs !== undefined && handler !== undefined) span(rank, 'init', 'startup', handler - timing.initMs, handler);
      if (handler !== undefined && program !== undefined && rank !== 0) span(rank, 'load program and input', 'startup', handler, program);
      if (timing.firstMessageMs !== undefined) {
        events.push({ name: 'first message', ph: 'i', cat: 'mark', s: 't', ts: us(startedAt + timing.firstMessageMs), pid: PID, tid: rank });
      }
    }
    const recorded = input.spans.get(rank);
    droppedCalls += recorded?.dropped ?? 0;
    const calls = [...(recorded?.spans ?? [])].sort((a, b) => a.start - b.start);
    const programStart = at(timing?.programMs) ?? calls[0]?.start;
    const programEnd = at(timing?.endMs) ?? calls.at(-1)?.end;
    if (programStart !== undefined && programEnd !== undefined) {
      let cursor = programStart;
      for (const call of calls) {
        if (call.start > cursor) span(rank, 'compute', 'compute', cursor, call.start);
        span(rank, callName(call), SENDS.has(call.op) ? 'send' : 'wait', call.start, call.end, callArgs(call));
        cursor = Math.max(cursor, call.end);
      }
      if (programEnd > cursor) span(rank, 'compute', 'compute', cursor, programEnd);
    }
  }
  for (const step of input.jobSteps ?? []) span(0, step.name, step.category, step.start, step.end);
  // Ranks may begin before the job's start as rank 0 counts it (ranks in threads start beside
  // it): the timeline then begins with the earliest of them, at zero, as trace viewers expect.
  const earliest = Math.min(0, ...events.map((event) => event.ts));
  if (earliest < 0) for (const event of events) if (event.ph !== 'M') event.ts -= earliest;
  return {
    traceEvents: events,
    displayTimeUnit: 'ms',
    otherData: { jobId: input.jobId, size: input.size, startedAt: new Date(startedAt + earliest / 1000).toISOString(), droppedCalls },
  };
}

/** Adds a step of rank 0's function after the trace was built (its clean-up, which follows the result). */
export function addJobStep(trace: ChromeTrace, step: JobStep): void {
  const startedAt = Date.parse(trace.otherData.startedAt);
  const ts = Math.round((step.start - startedAt) * 1000);
  trace.traceEvents.push({ name: step.name, ph: 'X', cat: step.category, ts, dur: Math.max(0, Math.round((step.end - startedAt) * 1000) - ts), pid: PID, tid: 0 });
}

function callName(call: TraceSpan): string {
  const peer = call.peer === undefined ? undefined : call.peer < 0 ? 'any' : String(call.peer);
  const tag = call.tag === undefined ? undefined : call.tag < 0 ? 'any' : String(call.tag);
  if (call.op === 'send' || call.op === 'sendrecv') return `${call.op} → ${peer} tag ${tag}`;
  if (call.op === 'recv' || call.op === 'probe') return `${call.op} ← ${peer} tag ${tag}`;
  if (call.root !== undefined) return `${call.op} root ${call.root}`;
  return call.op;
}

function callArgs(call: TraceSpan): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const key of ['peer', 'source', 'tag', 'root', 'bytes'] as const) if (call[key] !== undefined) args[key] = call[key];
  return args;
}
