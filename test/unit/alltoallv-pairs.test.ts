import { describe, expect, it } from 'vitest';
import { defineProgram, runLocal } from '../../src/index.ts';
import { InProcessValue } from '../../src/mpi/codec/codec.ts';
import type { Frame, Transport } from '../../src/transport/transport.ts';

/** Elements rank `source` sends rank `dest`: every pair a different, large number. */
const blockLength = (source: number, dest: number, size: number) => (source * size + dest + 1) * 4096;

const shuffle = defineProgram(async (comm) => {
  const counts = Array.from({ length: comm.size }, (_, dest) => blockLength(comm.rank, dest, comm.size));
  const sendbuf = new Float64Array(counts.reduce((a, b) => a + b, 0)).fill(comm.rank);
  const got = await comm.alltoallv(sendbuf, counts);
  return got.counts;
});

/** The bytes a frame carries: its encoding, or the view an in-process frame hands over. */
function bytesOf(frame: Frame): number {
  const body = frame.body;
  if (body instanceof InProcessValue) return ArrayBuffer.isView(body.value) ? body.value.byteLength : 0;
  return body.byteLength;
}

/**
 * Counts the bytes of every data frame each rank sends, by destination. With `hideSharing` the
 * transport says its ranks share neither thread nor process, so every block is encoded into its
 * frame as over SQS.
 */
function recordingBytes(sent: number[][], hideSharing: boolean) {
  return (transport: Transport, rank: number): Transport => new Proxy(transport, {
    get(target, property, receiver) {
      if (hideSharing && (property === 'sameThread' || property === 'inProcess' || property === 'clonesValues')) return false;
      if (property !== 'send') return Reflect.get(target, property, receiver);
      return (frame: Frame) => {
        if (hideSharing && !(frame.body instanceof Uint8Array)) throw new Error('an in-process value was sent where the ranks share nothing');
        if (frame.kind === 'data') sent[rank]![frame.dest] = (sent[rank]![frame.dest] ?? 0) + bytesOf(frame);
        return target.send(frame);
      };
    },
  });
}

describe('alltoallv moves each pair\'s block once, straight from sender to receiver', () => {
  for (const transport of ['memory', 'bytes'] as const) {
    it(`no rank relays another's block, and no block travels twice (${transport === 'memory' ? 'lent in one thread' : 'encoded, as between processes'})`, async () => {
      const size = 4;
      const sent = Array.from({ length: size }, () => new Array<number>(size).fill(0));
      const r = await runLocal(shuffle, {
        size,
        transport: 'memory',
        wrapTransport: recordingBytes(sent, transport === 'bytes'),
      });
      for (let source = 0; source < size; source++) {
        for (let dest = 0; dest < size; dest++) {
          if (source === dest) continue;
          const block = blockLength(source, dest, size) * Float64Array.BYTES_PER_ELEMENT;
          // The block itself, plus the small frames of the barrier-free protocol (headers, tokens).
          expect(sent[source]![dest]).toBeGreaterThanOrEqual(block);
          expect(sent[source]![dest]).toBeLessThan(block + 4096);
        }
      }
      expect(r.results).toEqual(Array.from({ length: size }, (_, dest) => Array.from({ length: size }, (_, source) => blockLength(source, dest, size))));
    });
  }
});
