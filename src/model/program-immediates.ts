import { AsyncResource } from 'node:async_hooks';
import { programClock } from '../mpi/time.ts';

/**
 * A program's `setImmediate` in the model. On Node, `await new Promise((r) => setImmediate(r))`
 * is how a program yields to the event loop: the requests it started (isend, irecv) leave, then it
 * goes on computing while they travel. In the model a rank's turn lasts until its program waits,
 * and what the turn started leaves when the turn ends; an immediate left to Node would run the
 * rest of the program outside any turn (its compute unmeasured, or charged to another rank). So
 * while a modeled job runs, the global `setImmediate` called by a rank's program during its turn
 * ends that turn and resumes the rank in a turn of its own at the same modeled time, in the
 * program's async context (its output and wtime stay its own). Everything else gets Node's.
 */

/** A scheduled turn that may still be called off. */
export interface YieldedTurn {
  cancel(): void;
}

/** A scheduler that can resume the rank whose turn is running, after that turn. */
export interface TurnYielder {
  /** Schedules `callback` as the running rank's next turn; undefined when no rank's turn runs now. */
  yieldTurn(callback: () => void): YieldedTurn | undefined;
}

type SetImmediate = typeof globalThis.setImmediate;
type ClearImmediate = typeof globalThis.clearImmediate;

/** Node's own, for the scheduler's use and for everything that is not a modeled program. */
export const nodeSetImmediate: SetImmediate = globalThis.setImmediate;
const nodeClearImmediate: ClearImmediate = globalThis.clearImmediate;

const yielders = new Set<TurnYielder>();

/** What a program's setImmediate returns in the model: enough of Node's Immediate to clear it. */
class ModeledImmediate {
  constructor(readonly handle: YieldedTurn) {}
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  hasRef(): boolean {
    return true;
  }
  [Symbol.dispose](): void {
    this.handle.cancel();
  }
}

function modeledSetImmediate(callback: (...args: unknown[]) => void, ...args: unknown[]): unknown {
  const clock = programClock() as unknown as TurnYielder | undefined;
  if (clock && yielders.has(clock)) {
    const handle = clock.yieldTurn(AsyncResource.bind(() => callback(...args)));
    if (handle) return new ModeledImmediate(handle);
  }
  return nodeSetImmediate(callback, ...args);
}

function modeledClearImmediate(immediate: unknown): void {
  if (immediate instanceof ModeledImmediate) immediate.handle.cancel();
  else nodeClearImmediate(immediate as Parameters<ClearImmediate>[0]);
}

/** While `yielder` runs a job, its ranks' setImmediate yields their turns; returns the undo. */
export function modelProgramImmediates(yielder: TurnYielder): () => void {
  if (yielders.size === 0) {
    globalThis.setImmediate = Object.assign(modeledSetImmediate, { __promisify__: nodeSetImmediate.__promisify__ }) as unknown as SetImmediate;
    globalThis.clearImmediate = modeledClearImmediate as ClearImmediate;
  }
  yielders.add(yielder);
  return () => {
    if (!yielders.delete(yielder) || yielders.size > 0) return;
    globalThis.setImmediate = nodeSetImmediate;
    globalThis.clearImmediate = nodeClearImmediate;
  };
}
