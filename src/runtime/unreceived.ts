import { collectiveCallOf, describeIdentity } from '../mpi/comm/collective-calls.ts';
import { CollectiveMismatchError } from '../mpi/errors.ts';
import type { UnreceivedCount } from '../mpi/p2p/matching.ts';

/**
 * Messages that reached a rank and that no receive ever took, as the end-of-job warning shows
 * them (`RunResult.unreceived`): usually a missing receive, or ranks that did not call the same
 * collectives. Ranks are the job's (world) ranks.
 */
export interface UnreceivedMessages {
  /** The rank that never received them. */
  rank: number;
  /** The rank that sent them. */
  source: number;
  /** The communicator they were sent on: `w` the world, `w.d0` its first dup, `w.s1c0` color 0 of its second split. */
  communicator: string;
  /** The sender's tag (point-to-point messages). */
  tag?: number;
  /** The collective call they belong to (collective messages), e.g. `bcast(root 0)`. */
  collective?: string;
  count: number;
}

/** A rank's engine's counts as the warning shows them. */
export function unreceivedOf(rank: number, counts: readonly UnreceivedCount[]): UnreceivedMessages[] {
  return counts.map(({ source, context, tag, count }) => {
    const call = collectiveCallOf(context);
    return call
      ? { rank, source, communicator: call.base.slice(0, -2), collective: describeIdentity(tag), count }
      : { rank, source, communicator: context, tag, count };
  });
}

/** One line for stderr: how many messages were left, and from whom to whom. */
export function unreceivedWarning(unreceived: readonly UnreceivedMessages[]): string {
  const total = unreceived.reduce((sum, entry) => sum + entry.count, 0);
  const parts = unreceived.map((entry) => {
    const what = entry.collective !== undefined ? `${entry.collective} message` : `tag ${entry.tag}`;
    const where = entry.communicator === 'w' ? '' : ` on communicator ${entry.communicator}`;
    return `rank ${entry.rank} from rank ${entry.source}, ${what}${where}: ${entry.count}`;
  });
  return `lambda-mpi: warning: ${total} message${total === 1 ? ' was' : 's were'} never received (${parts.join('; ')})`;
}

/**
 * Whether the job's end shows ranks that did not call the same collectives: rank 0 met another
 * call's message after its program returned (`ownFailure`), or a collective message was left
 * unreceived (every collective receives all it is sent, so a leftover is another call's).
 */
export function collectiveMismatchAtEnd(ownFailure: unknown, unreceived: readonly UnreceivedMessages[]): { rank: number; error: unknown } | undefined {
  if (ownFailure !== undefined) return { rank: 0, error: ownFailure };
  const leftover = unreceived.find((entry) => entry.collective !== undefined);
  if (!leftover) return undefined;
  return { rank: leftover.rank, error: new CollectiveMismatchError(leftover.rank, undefined, leftover.source, leftover.collective!) };
}
