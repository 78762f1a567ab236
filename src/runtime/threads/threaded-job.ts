import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { decode } from '../../mpi/codec/codec.ts';
import type { VectorReduction } from '../../mpi/comm/vector-reductions.ts';
import {
  JobCancelledError, JobTimeoutError, LambdaMpiError, RankFailedError, toRemoteErrorInfo, type RankWaitState,
} from '../../mpi/errors.ts';
import type { FaultSchedule } from '../../transport/fault-injection.ts';
import { ThreadFabric } from '../../transport/threads/thread-fabric.ts';
import type { OutputLine } from '../output.ts';
import type { ProgramModule } from '../program-source.ts';
import type { RunResult } from '../run-result.ts';
import { fromWire } from './error-wire.ts';
import type { ThreadBundle } from './thread-bundle.ts';
import type { FromRank, JobThreadData, RankThreadData, RankThreadTransport, ThreadData, ToRank, ThreadGenerations } from './thread-protocol.ts';
import { WaitBoard } from './wait-board.ts';
import { PROCESS_ENDED_CODE } from '../generations/retries.ts';
import { reportedWait } from '../../mpi/p2p/wait-description.ts';
import { CHECK_EVERY_MS, DeadlockWatch } from '../deadlock-watch.ts';

export interface ThreadedJobSpec {
  jobId: string;
  size: number;
  timeoutMs: number;
  serializedInput: Uint8Array;
  processorName: string;
  vectorReduction: VectorReduction;
  program: ProgramModule;
  bundle: ThreadBundle;
  /** 'threads': the ranks talk over channels between threads; otherwise how each opens its SQS/S3 transport. */
  transport: { kind: 'threads'; spinMs: number } | Exclude<RankThreadTransport, { kind: 'threads' }>;
  /** How long rank 0 waits past the deadline for the others' reports (its transport's reportGraceMs). */
  reportGraceMs: number;
  faults?: FaultSchedule;
  /** How many ranks each thread runs (run-threads.ts: 1 unless ranks far outnumber the cores). */
  ranksPerThread: number;
  onOutput?: (line: OutputLine) => void;
  signal?: AbortSignal;
  trace?: boolean;
  generations?: ThreadGenerations;
}

/** How long a rank's thread has to answer a ping before it counts as stuck in synchronous code. */
const PING_ANSWER_MS = 250;
/**
 * Rank 0 fails a job that ran past its deadline by itself, one report grace later. If it has not
 * by this much after that, rank 0 itself is not yielding, and the watchdog fails the job.
 */
const WATCHDOG_MARGIN_MS = 1_000;

/**
 * The ranks of one job in worker threads, seen from the thread that started them (like mpirun):
 * starts a thread per rank (or per few ranks, `ranksPerThread`), lets them start once every one
 * has loaded the program, passes on their output, pairs them up for the transport between
 * threads, and ends the job with rank 0's result. It is also the watchdog: a rank that never
 * yields cannot be stopped by messages, so when rank 0 has not ended the job soon after its
 * deadline, or the caller cancels, it reads what each rank waits on from the shared wait board,
 * asks every rank to answer, and terminates them.
 */
export class ThreadedJob {
  private readonly workers: Worker[] = [];
  private readonly controls: MessagePort[] = [];
  private readonly board: WaitBoard;
  private readonly fabric: ThreadFabric | undefined;
  private readonly streamed: OutputLine[] = [];
  private readonly answered = new Set<number>();
  private readonly loadedRanks = new Set<number>();
  private settled = false;
  private stopping = false;
  private watchdog: NodeJS.Timeout | undefined;
  /** Reads the board for a deadlock (ranks over channels between threads or Valkey only: there each frame is counted exactly once). */
  private deadlockTimer: NodeJS.Timeout | undefined;
  private resolveJob!: (result: RunResult) => void;
  private rejectJob!: (error: unknown) => void;
  private readonly outcome = new Promise<RunResult>((resolve, reject) => {
    this.resolveJob = resolve;
    this.rejectJob = reject;
  });
  private readonly onAbort = () => void this.cancel();

  constructor(private readonly spec: ThreadedJobSpec) {
    this.board = WaitBoard.create(spec.size);
    if (spec.transport.kind === 'threads') {
      this.fabric = new ThreadFabric(spec.size, (rank, message, transfer) => this.controls[rank]?.postMessage(message, transfer));
    }
  }

  /** Starts every rank; resolves with rank 0's RunResult, or rejects with the job's error. */
  run(): Promise<RunResult> {
    const { spec } = this;
    const job = this.jobData();
    for (const ranks of threadsOfRanks(spec.size, spec.ranksPerThread)) this.startThread(job, ranks);
    // A module that never finishes loading (a loop at its top level) must not hold the job forever.
    this.watchdog = setTimeout(() => this.loadingOverdue(), spec.timeoutMs + WATCHDOG_MARGIN_MS);
    spec.signal?.addEventListener('abort', this.onAbort, { once: true });
    if (spec.signal?.aborted) void this.cancel();
    return this.outcome;
  }

  /** Ends every rank's thread (those stuck in synchronous code too). */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.watchdog);
    clearInterval(this.deadlockTimer);
    this.spec.signal?.removeEventListener('abort', this.onAbort);
    this.drainControls();
    await Promise.all(this.workers.map((worker) => worker.terminate()));
    for (const port of this.controls) port.close();
  }

  /** What every rank of the job is started with: one copy per thread. */
  private jobData(): JobThreadData {
    const { spec } = this;
    return {
      jobId: spec.jobId,
      size: spec.size,
      timeoutMs: spec.timeoutMs,
      processorName: spec.processorName,
      vectorReduction: spec.vectorReduction,
      input: spec.serializedInput,
      program: { url: spec.bundle.programEntry, path: spec.program.path, ...(spec.program.bundledName ? { bundledName: spec.program.bundledName } : {}) },
      transport: spec.transport.kind === 'threads'
        ? { kind: 'threads', doorbells: this.fabric!.doorbells, spinMs: spec.transport.spinMs }
        : spec.transport,
      ...(spec.faults ? { faults: spec.faults } : {}),
      board: this.board.memory as SharedArrayBuffer,
      streamOutput: spec.onOutput !== undefined,
      trace: spec.trace === true,
      generations: spec.generations ?? {},
    };
  }

  /** A rank's control channel: the owner keeps one end, the rank's thread gets the other. */
  private rankChannel(rank: number): RankThreadData {
    const { port1, port2 } = new MessageChannel();
    this.controls[rank] = port1;
    port1.on('message', (message: FromRank) => this.onRankMessage(rank, message));
    return { rank, control: port2 };
  }

  /** A worker thread for `ranks` (consecutive). */
  private startThread(job: JobThreadData, ranks: number[]): void {
    const { spec } = this;
    const data: ThreadData = { job, ranks: ranks.map((rank) => this.rankChannel(rank)) };
    // No inherited execArgv: a loader flag (--import tsx) would start a loader thread per rank.
    const worker = new Worker(new URL(spec.bundle.threadEntry), { workerData: data, transferList: data.ranks.map((rank) => rank.control), execArgv: [] });
    this.workers.push(worker);
    const first = ranks[0]!;
    const whose = ranks.length === 1 ? `rank ${first}` : `ranks ${first}–${ranks.at(-1)!}`;
    worker.on('error', (error) => {
      // The error came from the thread as a copy whose stack may be read-only: map it into the report instead.
      const info = toRemoteErrorInfo(error);
      if (info.stack) info.stack = spec.bundle.mapStack(info.stack);
      if (ranks.length > 1) info.message = `in the thread of ${whose}: ${info.message}`;
      this.fail(new RankFailedError(spec.jobId, first, info));
    });
    worker.on('exit', (code) => {
      if (this.stopping) return;
      this.fail(new RankFailedError(spec.jobId, first, {
        name: 'Error',
        message: `the thread of ${whose} exited (code ${code}) before the job ended`,
        // Its thread ended under it, as a process ends out of memory: a lost rank, which a job with retries survives.
        code: PROCESS_ENDED_CODE,
      }));
    });
  }

  /** Every rank has loaded: the job's time starts now, and so does the watchdog's. */
  private startProgram(): void {
    clearTimeout(this.watchdog);
    const deadline = Date.now() + this.spec.timeoutMs;
    for (const port of this.controls) port.postMessage({ type: 'start', deadline } satisfies ToRank);
    this.watchdog = setTimeout(() => void this.overdue(), this.spec.timeoutMs + this.spec.reportGraceMs + WATCHDOG_MARGIN_MS);
    // Between threads and through Valkey's lists each frame is handed over exactly once.
    if (this.spec.transport.kind === 'threads' || this.spec.transport.kind === 'valkey') this.watchForDeadlock();
  }

  /**
   * Reads the board while the job runs. A deadlock it sees is confirmed by a ping to every rank
   * it names: a rank stuck in synchronous code does not answer (it is computing, whatever its
   * board entry says), and the board must not have moved meanwhile. Then rank 0 ends the job
   * with it, as it ends any failed job (every rank's output kept).
   */
  private watchForDeadlock(): void {
    const watch = new DeadlockWatch(this.board);
    let confirming = false;
    this.deadlockTimer = setInterval(() => {
      if (confirming || this.settled) return;
      const blocked = watch.check(Date.now());
      if (!blocked) return;
      confirming = true;
      void this.allAnswer(blocked.map((b) => b.rank)).then((answered) => {
        confirming = false;
        const still = answered ? watch.check(Date.now()) : undefined;
        if (!still) {
          watch.reset();
          return;
        }
        clearInterval(this.deadlockTimer);
        this.controls[0]!.postMessage({ type: 'deadlock', blocked: still } satisfies ToRank);
      });
    }, CHECK_EVERY_MS);
    this.deadlockTimer.unref();
  }

  /** Whether every one of `ranks` answers a ping (its thread is not stuck in synchronous code). */
  private async allAnswer(ranks: number[]): Promise<boolean> {
    this.answered.clear();
    for (const rank of ranks) this.controls[rank]!.postMessage({ type: 'ping' } satisfies ToRank);
    const started = Date.now();
    while (Date.now() - started < PING_ANSWER_MS) {
      if (ranks.every((rank) => this.answered.has(rank))) return true;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return false;
  }

  private onRankMessage(rank: number, message: FromRank): void {
    switch (message.type) {
      case 'output':
        if (this.settled) return;
        this.streamed.push(message.line);
        this.spec.onOutput?.(message.line);
        return;
      case 'connect':
        this.fabric?.connect(rank, message.peer);
        return;
      case 'pong':
        this.answered.add(rank);
        return;
      case 'loaded':
        this.loadedRanks.add(rank);
        if (this.loadedRanks.size === this.spec.size) this.startProgram();
        return;
      case 'load-failed':
        this.fail(fromWire(message.error, this.spec.bundle.mapStack));
        return;
      case 'settled':
        if (this.settled) return;
        // Lines printed before rank 0 ended the job are already queued on the other ranks' ports.
        this.drainControls();
        if (message.ok) {
          this.settled = true;
          this.resolveJob(decode(message.result) as RunResult);
        } else {
          this.fail(fromWire(message.error, this.spec.bundle.mapStack));
        }
        return;
    }
  }

  /** Handles what the ranks' threads have posted but this thread has not yet read. */
  private drainControls(): void {
    this.controls.forEach((port, rank) => {
      for (let message = receiveMessageOnPort(port); message; message = receiveMessageOnPort(port)) {
        this.onRankMessage(rank, message.message as FromRank);
      }
    });
  }

  private fail(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    if (error instanceof LambdaMpiError && !error.output && this.streamed.length) error.output = [...this.streamed];
    this.rejectJob(error);
  }

  private loadingOverdue(): void {
    const notLoaded = this.loadedRanks.size < this.spec.size
      ? Array.from({ length: this.spec.size }, (_, rank) => rank).filter((rank) => !this.loadedRanks.has(rank))
      : [];
    this.fail(new JobTimeoutError(this.spec.jobId, this.spec.timeoutMs, notLoaded.map((rank) => ({ rank, silent: true }))));
  }

  /** Rank 0 did not end the job past its deadline: it does not yield. */
  private async overdue(): Promise<void> {
    if (this.settled) return;
    const running = await this.waitStates();
    this.fail(new JobTimeoutError(this.spec.jobId, this.spec.timeoutMs, running));
  }

  private async cancel(): Promise<void> {
    if (this.settled) return;
    // The reason the signal was aborted with says who asked; AbortController.abort() alone gives a generic AbortError.
    const reason: unknown = this.spec.signal?.reason;
    const by = reason instanceof Error && reason.name !== 'AbortError' ? reason.message : typeof reason === 'string' ? reason : 'the caller\'s AbortSignal';
    const running = await this.waitStates();
    this.fail(new JobCancelledError(this.spec.jobId, by, running));
  }

  /**
   * What every unfinished rank is doing: waiting in a call (from the board), running outside any
   * call (it answered a ping), or silent (it did not: stuck in synchronous code).
   */
  private async waitStates(): Promise<RankWaitState[]> {
    const { size } = this.spec;
    this.answered.clear();
    const asked = new Set<number>();
    for (let rank = 0; rank < size; rank++) {
      if (this.board.read(rank).state === 'running') {
        asked.add(rank);
        this.controls[rank]!.postMessage({ type: 'ping' } satisfies ToRank);
      }
    }
    const started = Date.now();
    while (asked.size > this.answered.size && Date.now() - started < PING_ANSWER_MS) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const states: RankWaitState[] = [];
    for (let rank = 0; rank < size; rank++) {
      const entry = this.board.read(rank);
      if (entry.state === 'finished') continue;
      if (entry.state === 'waiting') states.push({ rank, ...reportedWait(entry.wait), silent: false });
      else states.push({ rank, silent: !this.answered.has(rank) });
    }
    return states;
  }
}

/** The ranks 0..size-1 in consecutive groups of `ranksPerThread` (the last may be smaller). */
export function threadsOfRanks(size: number, ranksPerThread: number): number[][] {
  const groups: number[][] = [];
  for (let first = 0; first < size; first += ranksPerThread) {
    groups.push(Array.from({ length: Math.min(ranksPerThread, size - first) }, (_, i) => first + i));
  }
  return groups;
}
