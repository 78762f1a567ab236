import { Comm, type RankServices } from '../mpi/comm/comm.ts';
import { worldGroup } from '../mpi/comm/group.ts';
import type { VectorReduction } from '../mpi/comm/vector-reductions.ts';
import { JobAbortedError } from '../mpi/errors.ts';
import { Engine } from '../mpi/p2p/engine.ts';
import type { Program } from '../mpi/program.ts';
import { runOnClock } from '../mpi/time.ts';
import { systemClock, type Clock } from '../transport/clock.ts';
import type { Transport } from '../transport/transport.ts';
import { decodeControl, encodeControl, type ControlMessage } from './control.ts';
import { RankEventStream, heartbeatMsFor, type RankActivity, type RankEvent, type RankStartTiming } from './job-events.ts';
import { guardProcessForRanks } from './process-guard.ts';

import { withOutputSink, type OutputLine, type OutputSink } from './output.ts';
import { RankTracer, preciseNow } from './trace/rank-tracer.ts';
import type { RequestCounts } from '../transport/request-counts.ts';
import { GENERATION_ENDED, RankGenerations, startingPoint, type GenerationOptions } from './generations/rank-generations.ts';
import { runNotingUploads } from '../file/job-file-stores.ts';

/** Everything one rank needs to run its part of a job, wherever it runs. */
export interface RankOptions {
  jobId: string;
  rank: number;
  size: number;
  program: Program;
  /** This rank's own copy of the job's input. */
  input: unknown;
  transport: Transport;
  /** Epoch milliseconds at which the job times out. */
  deadline: number;
  timeoutMs: number;
  processorName: string;
  /** How large vectors are reduced; 'auto' unless configured. */
  vectorReduction?: VectorReduction;
  /** Live output of this rank (the CLI prints it as it happens). */
  onOutput?: (line: OutputLine) => void;
  /** The time the job lives in (timeouts, durations, output stamps); real time when absent. */
  clock?: Clock;
  /** What this rank knows of its own start-up (on Lambda: invocation, cold start); sent with its check-in. */
  startTiming?: Omit<RankStartTiming, 'programAt'>;
  /** The watcher channel's pace: batching of events and heartbeats (job-events.ts). */
  events?: { flushMs?: number; heartbeatMs?: number; onSent?: (at: number) => void };
  /** Record this rank's MPI calls for the job's timeline. */
  trace?: boolean;
  /** The requests this rank's own clients sent (a worker on Lambda reports them with `done`). */
  requestCounts?: () => RequestCounts;
  /** Told when the program returned or threw: the job's deadlock watch counts the rank live until then. */
  programEnded?: () => void;
  /** Generations and checkpoints (generations/rank-generations.ts); absent: one generation, checkpoints where the transport keeps them. */
  generations?: GenerationOptions;
}

export type ProgramOutcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * One rank's program run: its engine, its world communicator, its event stream (check-in,
 * output, heartbeats: job-events.ts), and the ways it can be stopped. Rank 0 (RankZeroJob) and
 * the workers (WorkerRank) both build on it.
 */
export class RankSession {
  readonly engine: Engine;
  readonly options: RankOptions;
  /** This rank's side of the watcher channel; its output goes there as it is printed. */
  readonly events: RankEventStream;
  /** This rank's MPI calls, when the job is traced. */
  readonly tracer: RankTracer | undefined;
  readonly clock: Clock;
  readonly startedAt: number;
  /** The last output stamp: stamps never decrease within a rank (see run()). */
  private lastStamp = -Infinity;
  /** Set once this rank was told to stop (abort, timeout) or aborted the job itself. */
  stopError: unknown;
  /** Fails the running program from outside it (its transport can no longer deliver); set while it runs. */
  private failRun: ((error: unknown) => void) | undefined;
  /** When its program returned or threw (epoch ms). */
  endedAt: number | undefined;
  /** Settles when the rank is told to stop. */
  readonly stopping: Promise<void>;
  private markStopping!: () => void;
  private running = false;
  /** The generations this rank's program runs in. */
  readonly generations: RankGenerations;

  constructor(
    options: RankOptions,
    private readonly onControl: (message: ControlMessage, source: number) => void,
    private readonly onSelfAbort: (reason: string) => Promise<void>,
    /** Where this rank's event batches go: a control frame to rank 0, or rank 0's own hand-over. */
    sendEvents: (events: RankEvent[]) => Promise<void>,
  ) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.startedAt = this.clock.now();
    // A transport that can no longer deliver fails the running program at once, as a throw would:
    // a program asleep in a timer would otherwise learn of it only at its next communication call.
    this.engine = new Engine(options.transport, (source, body) => this.onControl(decodeControl(body), source), (error) => this.failRun?.(error));
    this.events = new RankEventStream({
      rank: options.rank, send: sendEvents, clock: this.clock, heartbeatMs: heartbeatMsFor(options.size), activity: () => this.activity(), ...options.events,
    });
    // Real time: the monotonic clock's sub-ms precision; a simulated clock (the model) is the timeline's own time.
    this.tracer = options.trace ? new RankTracer(this.clock === systemClock ? preciseNow : () => this.clock.now()) : undefined;
    this.stopping = new Promise((resolve) => (this.markStopping = resolve));
    this.generations = new RankGenerations(options.size, this.clock, options.generations, options.transport.checkpoints ?? options.generations?.objects);
  }

  get isRunning(): boolean {
    return this.running;
  }

  get stopped(): boolean {
    return this.stopError !== undefined;
  }

  /** The call this rank's program waits in (none once it ended), and its data frames so far. */
  activity(): RankActivity {
    const wait = this.running ? this.engine.waitState() : undefined;
    return { ...this.engine.traffic(), ...(wait ? { wait: { ...wait } } : {}) };
  }

  /** Starts receiving; call before the program runs so no early frame is missed. */
  start(): void {
    this.engine.start();
  }

  async run(): Promise<ProgramOutcome> {
    const { options } = this;
    // What fails the rank from outside its program's promise (process-guard.ts): it ends the rank as a throw would.
    let fail!: (error: unknown) => void;
    const failed = new Promise<never>((_, reject) => (fail = reject));
    failed.catch(() => undefined);
    this.failRun = fail;
    const sink: OutputSink = {
      rank: options.rank,
      onFatal: (error) => fail(error),
      onLine: (line) => {
        // Stamps never decrease within a rank, so merging by time keeps each rank's own order
        // even when the clock steps back (NTP; a simulated clock read outside the rank's turn).
        this.lastStamp = Math.max(this.clock.now(), this.lastStamp);
        this.events.output({ ...line, at: this.lastStamp });
        options.onOutput?.(line);
      },
    };
    this.running = true;
    if (options.transport.processUp) await options.transport.processUp;
    this.events.checkIn({ ...options.startTiming, programAt: this.clock.now() });
    // Sent before the program runs: a program that computes without awaiting would hold it back
    // (and the rank would look as if it never started) until its first communication call.
    await this.events.flush();
    const endGuard = guardProcessForRanks();
    try {
      // The check-in is stored before the program runs: a rank whose process dies in its first
      // synchronous steps is then known to have started (rank 0 calls it silent, not never started).
      await this.events.flush();
      let value: unknown;
      // A program may change its input: each later generation in this process gets the input as the job began.
      const firstInput = options.generations?.limitMs === undefined ? undefined : structuredClone(options.input);
      let runs = 0;
      // The program runs once per generation: a checkpointIfDue that was due ends one (generations/).
      for (;;) {
        const run = this.generations.begin();
        if (options.rank === 0 && this.generations.generation > 0) {
          sink.onLine({ rank: 0, stream: 'stderr', line: `lambda-mpi: generation ${this.generations.generation} began ${startingPoint(this.generations.restoreFrom)}` });
        }
        const services: RankServices = {
          jobId: options.jobId,
          engine: this.engine,
          processorName: () => options.processorName,
          vectorReduction: options.vectorReduction ?? 'auto',
          abort: (reason) => this.abortJob(reason),
          ...(this.tracer ? { tracer: this.tracer } : {}),
          ...(run.checkpoints ? { generation: run.checkpoints } : {}),
        };
        const comm = new Comm(services, worldGroup(options.size, this.engine.rank), run.context);
        const runProgram = () => options.program.main(comm, runs++ === 0 ? options.input : structuredClone(firstInput));
        const notes = options.transport.pendingUploads;
        const main = notes ? () => runNotingUploads(notes, runProgram) : runProgram;
        // Real time needs no context: wtime() reads it directly.
        value = await Promise.race([withOutputSink(sink, this.clock === systemClock ? main : () => runOnClock(this.clock, main)), failed, run.ended]);
        if (value !== GENERATION_ENDED) break;
        if (options.generations?.endsWithProcess) {
          value = undefined;
          break;
        }
      }
      // A rank that met another collective's message failed, whatever its program did after.
      if (this.engine.failure !== undefined) return { ok: false, error: this.engine.failure };
      return { ok: true, value };
    } catch (error) {
      return { ok: false, error };
    } finally {
      endGuard();
      this.failRun = undefined;
      this.running = false;
      options.programEnded?.();
      // A traced rank's end is on the tracer's sub-millisecond clock, like its calls' ends: compute after its last call is often shorter than a millisecond.
      this.endedAt = this.tracer ? this.tracer.now() : this.clock.now();
    }
  }

  /** Stops this rank: every waiting and later communication call fails with `error`. */
  stop(error: unknown): void {
    if (this.stopError !== undefined) return;
    this.stopError = error;
    this.engine.abort(error);
    this.markStopping();
  }

  sendControl(dest: number, message: ControlMessage): Promise<void> {
    return this.engine.sendControl(dest, encodeControl(message));
  }

  private async abortJob(reason: string): Promise<never> {
    const error = new JobAbortedError(this.options.jobId, this.options.rank, reason);
    if (this.stopError === undefined) {
      this.stop(error);
      await this.onSelfAbort(reason);
    }
    throw this.stopError;
  }
}

/** Sends `message` to every rank in `ranks`; a rank that cannot be reached is skipped, not fatal. */
export async function broadcastControl(session: RankSession, ranks: Iterable<number>, message: ControlMessage): Promise<void> {
  await Promise.allSettled([...ranks].map((rank) => session.sendControl(rank, message)));
}
