import type { Clock } from '../transport/clock.ts';
import { EventQueue, type SimEvent } from './event-queue.ts';
import { modelProgramImmediates, nodeSetImmediate, type TurnYielder } from './program-immediates.ts';

/** Milliseconds of CPU this process has used so far (monotone). */
export type CpuMeter = () => number;

export const processCpuMeter: CpuMeter = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/**
 * Where an event happens:
 * - `service`: inside AWS (a message becomes visible, a poll is matched): no rank's code runs;
 * - `process`: in a rank's process but outside its program (a client library's continuation):
 *   it waits until the rank's thread is free, takes no measured time;
 * - `turn`: the rank's program may run (a receive completes, a send resolves, a timer fires):
 *   it waits until the rank's thread is free, then the program runs until it waits again, and
 *   the CPU time it used, scaled, advances the rank's clock.
 */
type EventKind = 'service' | 'process' | 'turn';

interface ModelEvent extends SimEvent {
  readonly kind: EventKind;
  readonly rank: number | undefined;
  /**
   * An idle event (a timer, the end of an empty long poll) never makes progress by itself:
   * before jumping to one, the scheduler lets work outside the model (a program's own timers
   * or I/O) show up.
   */
  readonly idle: boolean;
  queued: boolean;
  readonly action: (time: number) => void;
}

interface Turn {
  readonly rank: number | undefined;
  readonly start: number;
  readonly meterStart: number;
  readonly after: Array<(time: number) => void>;
}

export interface SchedulerOptions {
  size: number;
  /** Epoch ms that virtual time 0 stands for. */
  epochMs: number;
  /** Modeled ms per ms of CPU measured here (0: compute takes no modeled time). */
  cpuScale: number;
  meter?: CpuMeter;
  /** Real ms to wait for activity outside the model before jumping to an idle event. */
  idleGraceMs?: number;
}

export interface EventHandle {
  cancel(): void;
}

/**
 * The least modeled time a yield to the event loop takes: a program polling `test()` in a
 * setImmediate loop then moves its clock forward, towards the arrival it waits for, even when its
 * CPU measures nothing (cpuScale 0).
 */
const EVENT_LOOP_PASS_MS = 0.01;

const settle = () => new Promise<void>((resolve) => nodeSetImmediate(resolve));

/**
 * A discrete-event scheduler over virtual time, in the manner of SimGrid's SMPI: all ranks run
 * in this thread, one at a time, and each has its own clock. Events run in virtual-time order;
 * a rank's turn is measured from the event that resumes it to the moment it waits again, so the
 * CPU its program really used, and only that, moves its clock. A rank blocked in a receive
 * advances to the arrival of the message that releases it.
 *
 * It is the clock of the job's ranks too (timeouts, durations, output stamps), so a program that
 * never finishes times out at its modeled deadline.
 */
export class Scheduler implements Clock, TurnYielder {
  readonly size: number;
  private readonly epochMs: number;
  private readonly cpuScale: number;
  private readonly meter: CpuMeter;
  private readonly idleGraceMs: number;
  /**
   * Whether the modeled services hold nothing that will make progress by itself (no message
   * waiting for a receiver); set by the services' model. Until then only pending events count.
   */
  quiet: () => boolean = () => true;
  private readonly queue = new EventQueue<ModelEvent>();
  private readonly busyUntil: Float64Array;
  private order = 0;
  /** Time of the event being handled: the simulation's present, never decreasing. */
  private present = 0;
  private turn: Turn | undefined;
  private progressPending = 0;
  private waitedForIdle = false;
  private wake: (() => void) | undefined;
  private stopped = false;
  private driving: Promise<void> | undefined;
  private failed: ((error: unknown) => void) | undefined;
  private restoreImmediates: (() => void) | undefined;
  /** Rejects if the simulation itself breaks (a bug in the model, not in the program). */
  readonly failure: Promise<never>;

  constructor(options: SchedulerOptions) {
    this.size = options.size;
    this.epochMs = options.epochMs;
    this.cpuScale = options.cpuScale;
    this.meter = options.meter ?? processCpuMeter;
    this.idleGraceMs = options.idleGraceMs ?? 100;
    this.busyUntil = new Float64Array(options.size);
    this.failure = new Promise<never>((_, reject) => (this.failed = reject));
    this.failure.catch(() => undefined);
  }

  // ---- Clock ----

  now(): number {
    return this.epochMs + this.virtualNow();
  }

  schedule(callback: () => void, delayMs: number): () => void {
    const handle = this.atTurn(this.turn?.rank, this.virtualNow() + Math.max(0, delayMs), () => callback(), { idle: true });
    return () => handle.cancel();
  }

  // ---- virtual time ----

  /** Virtual ms since the job began, as the code running right now sees it. */
  virtualNow(): number {
    const turn = this.turn;
    return turn ? turn.start + (this.meter() - turn.meterStart) * this.cpuScale : this.present;
  }

  /** Where rank `rank` is: inside its turn, its running clock; otherwise the time it is next free. */
  timeOf(rank: number): number {
    if (this.turn && this.turn.rank === rank) return this.virtualNow();
    return Math.max(this.present, this.busyUntil[rank]!);
  }

  /** The rank whose program is running now, if any. */
  get runningRank(): number | undefined {
    return this.turn?.rank;
  }

  // ---- events ----

  /** `idle`: see ModelEvent.idle. */
  atService(time: number, action: (time: number) => void, options: { idle?: boolean } = {}): EventHandle {
    return this.add('service', undefined, time, action, options.idle ?? false);
  }

  atProcess(rank: number, time: number, action: (time: number) => void): EventHandle {
    return this.add('process', rank, time, action, false);
  }

  atTurn(rank: number | undefined, time: number, action: (time: number) => void, options: { idle?: boolean } = {}): EventHandle {
    return this.add('turn', rank, time, action, options.idle ?? false);
  }

  /**
   * Runs `work` at the end of rank `rank`'s current turn, with the time it ends: what a program
   * starts (a request, a send) leaves its process only once the program yields. Outside that
   * rank's turn it runs at once.
   */
  /**
   * A program's setImmediate (program-immediates.ts): its rank goes on in a turn of its own after
   * this one, behind what this turn started (as Node runs the outbox's immediate, queued by the
   * send, before the program's).
   */
  yieldTurn(callback: () => void): EventHandle | undefined {
    const rank = this.turn?.rank;
    if (rank === undefined) return undefined;
    let cancelled = false;
    let next: EventHandle | undefined;
    this.turn!.after.push((end) => {
      if (!cancelled) next = this.atTurn(rank, end + EVENT_LOOP_PASS_MS, callback);
    });
    return {
      cancel: () => {
        cancelled = true;
        next?.cancel();
      },
    };
  }

  afterTurn(rank: number, work: (time: number) => void): void {
    if (this.turn && this.turn.rank === rank) this.turn.after.push(work);
    else work(this.timeOf(rank));
  }

  /** Starts handling events; resolves when stopped. */
  start(): Promise<void> {
    this.restoreImmediates ??= modelProgramImmediates(this);
    this.driving ??= this.drive().catch((error: unknown) => {
      this.stopped = true;
      this.restoreImmediates?.();
      this.failed!(error);
    });
    return this.driving;
  }

  stop(): void {
    this.stopped = true;
    this.restoreImmediates?.();
    this.wake?.();
  }

  private add(kind: EventKind, rank: number | undefined, time: number, action: (time: number) => void, idle: boolean): EventHandle {
    const event: ModelEvent = {
      kind, rank, idle, action, time: Math.max(time, this.present), order: this.order++, cancelled: false, queued: true,
      run: () => undefined,
    };
    this.queue.push(event);
    if (!idle) {
      this.progressPending++;
      this.waitedForIdle = false;
    }
    this.wake?.();
    return {
      cancel: () => {
        if (event.cancelled) return;
        event.cancelled = true;
        if (event.queued && !event.idle) this.progressPending--;
      },
    };
  }

  private async drive(): Promise<void> {
    // The caller finishes setting the job up (its ranks, their transports) before time moves.
    await settle();
    while (!this.stopped) {
      const next = this.queue.peek();
      if (!next) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      if (next.cancelled) {
        this.queue.pop();
        next.queued = false;
        continue;
      }
      if (next.idle && this.progressPending === 0 && !this.waitedForIdle && this.quiet()) {
        // Nothing in the model can move: give a program's own timers or I/O a chance first.
        this.waitedForIdle = true;
        await new Promise((resolve) => setTimeout(resolve, this.idleGraceMs));
        continue;
      }
      this.queue.pop();
      next.queued = false;
      if (!next.idle) this.progressPending--;
      this.present = next.time;
      if (next.kind === 'service') next.action(next.time);
      else if (next.kind === 'process') next.action(Math.max(next.time, this.busyUntil[next.rank!]!));
      else await this.runTurn(next);
    }
  }

  private async runTurn(event: ModelEvent): Promise<void> {
    const { rank } = event;
    const start = rank === undefined ? event.time : Math.max(event.time, this.busyUntil[rank]!);
    const turn: Turn = { rank, start, meterStart: this.meter(), after: [] };
    this.turn = turn;
    try {
      event.action(start);
      await settle();
    } finally {
      const end = this.virtualNow();
      this.turn = undefined;
      if (rank !== undefined) this.busyUntil[rank] = end;
      for (const work of turn.after) work(end);
    }
  }
}
