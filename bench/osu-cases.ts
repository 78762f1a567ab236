/**
 * OSU-style latency and bandwidth of a `Uint8Array` between two ranks, at the sizes
 * osu_latency reports: send, then receive into the same array (`recvInto`), as mpi4py's
 * uppercase `Send`/`Recv` of a numpy uint8 buffer do (bench/mpi4py/pingpong.py). The figure is
 * the half round trip, and for 8 MiB the bandwidth (cases.ts's 8 MiB Float64Array case is the
 * same with a fresh array received each time).
 */
const SIZES = [
  { label: '1B', bytes: 1, warmup: 10_000, iterations: 20_000 },
  { label: '1KiB', bytes: 1024, warmup: 10_000, iterations: 20_000 },
  { label: '64KiB', bytes: 64 * 1024, warmup: 500, iterations: 2_000 },
  { label: '1MiB', bytes: 1 << 20, warmup: 50, iterations: 300 },
  { label: '4MiB', bytes: 4 << 20, warmup: 20, iterations: 100 },
  { label: '8MiB', bytes: 8 << 20, warmup: 20, iterations: 60 },
] as const;

/** osu_bw's figure for the largest size: bytes per half round trip. */
const BANDWIDTH_FROM = 8 << 20;

type Repetitions = { warmup: number; reps: number; iterations: number };

/** The cases, as cases.ts's BenchCase (not imported: cases.ts lists these). */
export function osuCases(scale: (params: Repetitions) => Repetitions) {
  return SIZES.map(({ label, bytes, warmup, iterations }) => ({
    id: `pingpong-bytes-${label}.np2`, kind: 'pingpong-bytes' as const, ranks: 2, elements: bytes,
    ...scale({ warmup, reps: 9, iterations }),
    ...(bytes >= BANDWIDTH_FROM
      ? {
        metric: `${label.replace(/(\d)([KM]?i?B)$/, '$1 $2')} Uint8Array ping-pong (send / recvInto), bytes / half round trip (2 ranks)`, unit: 'GB/s',
        better: 'higher' as const,
        figure: (roundTrip: number) => bytes / (roundTrip / 2) / 1e9,
      }
      : {
        metric: `${label.replace(/(\d)([KM]?i?B)$/, '$1 $2')} Uint8Array ping-pong (send / recvInto), half round trip (2 ranks)`, unit: 'µs',
        better: 'lower' as const,
        figure: (roundTrip: number) => (roundTrip / 2) * 1e6,
      }),
    target: { maxRatio: 1, label: '≤ 1x mpi4py' },
  }));
}
