import { ANY_SOURCE, ANY_TAG } from './constants.ts';
import { LambdaMpiError } from './errors.ts';

/** One rank of a deadlocked job: the call it is blocked in, and on whom. */
export interface BlockedRank {
  rank: number;
  /** The call (recv, probe, sendrecv, irecv, issend, barrier, bcast, …). */
  operation: string;
  /** As the program gave it, on the call's communicator (the destination for a send). */
  source: number;
  tag: number;
  /** The world rank it waits on; undefined for ANY_SOURCE. */
  peer?: number;
}

/**
 * Every rank still running is blocked in a communication call that nothing in flight can
 * satisfy: no message in transit or queued matches, and no rank computes that could still send
 * one. The job can never finish, so it fails now instead of at its timeout, naming the wait-for
 * graph (`blocked`, and `cycle` when the waits close one).
 */
export class DeadlockError extends LambdaMpiError {
  readonly jobId: string;
  readonly blocked: BlockedRank[];
  /** World ranks around a cycle of waits, first rank repeated at the end (e.g. [0, 1, 0]); empty when the graph has none. */
  readonly cycle: number[];
  constructor(jobId: string, blocked: BlockedRank[]) {
    const cycle = waitCycle(blocked);
    const graph = cycle.length > 0 ? `wait-for cycle: ${cycle.join(' → ')}` : `wait-for graph: ${blocked.map(edgeOf).join(', ')}`;
    super(
      'DEADLOCK',
      `job ${jobId} deadlocked: ${joinWaits(blocked.map(describeBlocked))}; nothing is in flight that ` +
        `${blocked.length === 2 ? 'either' : 'any of them'} could receive (${graph})`,
    );
    this.jobId = jobId;
    this.blocked = blocked;
    this.cycle = cycle;
  }
}

/** The calls whose source and tag are the program's own. */
const RECEIVES = new Set(['recv', 'probe', 'sendrecv', 'irecv']);
const SENDS = new Set(['isend', 'issend']);

export function describeBlocked(b: BlockedRank): string {
  const world = b.peer !== undefined && b.peer !== b.source ? ` (world rank ${b.peer})` : '';
  if (RECEIVES.has(b.operation)) {
    const source = b.source === ANY_SOURCE ? 'ANY_SOURCE' : String(b.source);
    return `rank ${b.rank} waits in ${b.operation}(source ${source}${world}, tag ${b.tag === ANY_TAG ? 'ANY_TAG' : b.tag})`;
  }
  if (SENDS.has(b.operation)) return `rank ${b.rank} waits in ${b.operation}(dest ${b.source}${world}, tag ${b.tag})`;
  // A collective's tag is the runtime's own: the rank it waits for says more.
  return `rank ${b.rank} waits in ${b.operation} for rank ${b.source}${world}`;
}

function joinWaits(parts: string[]): string {
  return parts.length <= 2 ? parts.join(' and ') : `${parts.slice(0, -1).join('; ')}; and ${parts[parts.length - 1]}`;
}

function edgeOf(b: BlockedRank): string {
  return `${b.rank} → ${b.peer === undefined ? 'any' : b.peer}`;
}

/** The first cycle of the wait-for graph (each rank waits on at most one peer), or [] if there is none. */
export function waitCycle(blocked: BlockedRank[]): number[] {
  const next = new Map<number, number>();
  for (const b of blocked) if (b.peer !== undefined) next.set(b.rank, b.peer);
  for (const start of next.keys()) {
    const path: number[] = [];
    const seen = new Map<number, number>();
    for (let at: number | undefined = start; at !== undefined; at = next.get(at)) {
      const index = seen.get(at);
      if (index !== undefined) return [...path.slice(index), at];
      seen.set(at, path.length);
      path.push(at);
    }
  }
  return [];
}
