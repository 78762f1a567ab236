import { PROC_NULL } from '../constants.ts';
import type { CollectiveChannel, CollectiveName } from '../comm/collective-channel.ts';

/**
 * Neighborhood collectives on a Cartesian grid (MPI_Neighbor_allgather / _alltoall), over the
 * collective channel. `neighbors` is the rank's neighbors in MPI's order: along each dimension
 * d, slot 2d is the rank a step back and slot 2d+1 the rank a step ahead (PROC_NULL where there
 * is none). Slot k's value goes to neighbor k; what arrives in slot 2d is what the rank a step
 * back sent ahead (its slot 2d+1), and in slot 2d+1 what the rank a step ahead sent back.
 *
 * On a periodic dimension of extent 1 or 2 both neighbors are the same rank, so its two
 * messages differ only by order: a rank sends back before ahead, dimension by dimension, and
 * receives, for each dimension, first from ahead (that rank's send back) and then from back.
 * The k-th message from a rank thus meets the k-th receive posted for it (per-pair order).
 */
export async function neighborExchange(
  ch: CollectiveChannel,
  neighbors: readonly number[],
  valueFor: (slot: number) => unknown,
  operation: CollectiveName,
): Promise<unknown[]> {
  const received: Array<Promise<unknown>> = new Array(neighbors.length);
  for (let back = 0; back < neighbors.length; back += 2) {
    for (const slot of [back + 1, back]) {
      const source = neighbors[slot]!;
      received[slot] = source === PROC_NULL ? Promise.resolve(undefined) : ch.recv(source, operation);
    }
  }
  const sends: Array<Promise<void>> = [];
  neighbors.forEach((dest, slot) => {
    if (dest !== PROC_NULL) sends.push(ch.send(valueFor(slot), dest, operation));
  });
  const [values] = await Promise.all([Promise.all(received), Promise.all(sends)]);
  return values;
}

/** Every neighbor's value, in neighbor order; undefined for PROC_NULL neighbors. */
export function neighborAllgather<T>(ch: CollectiveChannel, neighbors: readonly number[], value: T): Promise<Array<T | undefined>> {
  return neighborExchange(ch, neighbors, () => value, 'neighborAllgather') as Promise<Array<T | undefined>>;
}

/** values[k] goes to neighbor k; slot k of the result is what neighbor k sent this rank. */
export function neighborAlltoall<T>(ch: CollectiveChannel, neighbors: readonly number[], values: readonly T[]): Promise<Array<T | undefined>> {
  return neighborExchange(ch, neighbors, (slot) => values[slot], 'neighborAlltoall') as Promise<Array<T | undefined>>;
}
