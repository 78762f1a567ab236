import type { Comm } from '../mpi/comm/comm.ts';
import type { Request } from '../mpi/p2p/request.ts';
import { concatBytes } from './concat-bytes.ts';
import { FileError, fileErrorFrom, fileErrorInfo, type FileErrorInfo } from './file-errors.ts';
import type { FileStore, UploadedPart } from './file-store.ts';
import { findOverlap, intersect, partRange, planWrite, type Extent, type PartLimits, type WritePlan } from './write-plan.ts';

/** Bytes a rank wrote at `offset`, kept until close. */
export interface Piece {
  offset: number;
  bytes: Uint8Array;
}

/** What a collective write did: for the caller's figures and the tests. */
export interface WriteSummary {
  bytes: number;
  parts: number;
  aggregators: number[];
}

type Outcome<T> = { ok: T } | { error: FileErrorInfo };

/**
 * Close of a file opened for writing, on every rank: agree on the extents, refuse overlaps, plan
 * the parts, ship each part's pieces to its aggregator (the communicator), upload each part once,
 * complete the one upload on rank 0 — or abort it, so a failure leaves no object and no parts.
 */
export async function writeCollectively(comm: Comm, store: FileStore, pieces: readonly Piece[], exclusive: boolean, limits: PartLimits): Promise<WriteSummary> {
  const url = store.location.url;
  const mine = [...pieces].sort((a, b) => a.offset - b.offset);
  const everyones = await comm.allgather(mine.map((piece) => [piece.offset, piece.bytes.length] as const));
  const extents: Extent[][] = everyones.map((list, rank) => list.map(([offset, length]) => ({ rank, offset, length })));
  const overlap = findOverlap(extents.flat());
  if (overlap) {
    const [a, b] = overlap;
    throw new FileError(url, 'overlap', `rank ${a.rank} writes bytes ${a.offset}..${a.offset + a.length - 1} and rank ${b.rank} writes bytes ${b.offset}..${b.offset + b.length - 1}: writes to one file may not overlap (nothing was written)`);
  }
  const end = Math.max(0, ...extents.flat().map((extent) => extent.offset + extent.length));
  const plan = planWrite(end, comm.size, limits, extents.flat());

  const started = await comm.bcast<Outcome<string> | undefined>(comm.rank === 0 ? await outcome(url, () => store.startUpload()) : undefined, 0);
  if ('error' in started!) throw fileErrorFrom(started.error);
  const uploadId = started!.ok;
  try {
    const uploaded = await exchangeAndUpload(comm, store, uploadId, plan, mine, extents);
    const reports = await comm.gather(uploaded, 0);
    let completed: Outcome<null> | undefined;
    if (comm.rank === 0) {
      completed = await outcome(url, async () => {
        const failed = reports!.find((report) => 'error' in report);
        if (failed && 'error' in failed) throw fileErrorFrom(failed.error);
        const parts = reports!.flatMap((report) => ('ok' in report ? report.ok : [])).sort((a, b) => a.partNumber - b.partNumber);
        // S3 completes no upload without a part: an empty file is one empty part.
        if (parts.length === 0) parts.push(await store.uploadPart(uploadId, 1, new Uint8Array(0)));
        await store.completeUpload(uploadId, parts, exclusive);
        return null;
      });
      if ('error' in completed) await store.abortUpload(uploadId).catch(() => undefined);
    }
    const agreed = await comm.bcast(completed, 0);
    if ('error' in agreed!) throw fileErrorFrom(agreed.error);
    return { bytes: end, parts: Math.max(plan.parts, 1), aggregators: plan.domains.map((domain) => domain.aggregator) };
  } catch (error) {
    // The job failed under this call (a lost rank, an abort): whoever sees it first drops the upload.
    if (!(error instanceof FileError)) await store.abortUpload(uploadId).catch(() => undefined);
    throw error;
  }
}

async function outcome<T>(url: string, work: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: await work() };
  } catch (error) {
    return { error: fileErrorInfo(error, url) };
  }
}

/**
 * The rounds: in round r every aggregator assembles its r-th part. Senders use synchronous sends
 * and wait for them before the next round, so an aggregator is never sent more than the round
 * it is working on and the next one. An upload that fails is reported, not thrown, so every rank
 * still finishes the rounds and learns the failure from rank 0.
 */
async function exchangeAndUpload(comm: Comm, store: FileStore, uploadId: string, plan: WritePlan, mine: readonly Piece[], extents: readonly Extent[][]): Promise<Outcome<UploadedPart[]>> {
  const uploaded: UploadedPart[] = [];
  let failure: FileErrorInfo | undefined;
  for (let round = 0; round < plan.rounds; round++) {
    const sends: Request<undefined>[] = [];
    let ownShare: { part: number; bytes: Uint8Array } | undefined;
    for (const domain of plan.domains) {
      if (round >= domain.partCount) continue;
      const part = domain.firstPart + round;
      const { start, end } = partRange(plan, part);
      const slices = mine.flatMap((piece) => {
        const cut = intersect({ offset: piece.offset, length: piece.bytes.length }, start, end);
        return cut ? [piece.bytes.subarray(cut.from - piece.offset, cut.to - piece.offset)] : [];
      });
      if (slices.length === 0) continue;
      const payload = concatBytes(slices);
      if (domain.aggregator === comm.rank) ownShare = { part, bytes: payload };
      else sends.push(comm.issend(payload, domain.aggregator, part));
    }
    const domain = plan.domains.find((candidate) => candidate.aggregator === comm.rank);
    if (domain && round < domain.partCount) {
      const part = domain.firstPart + round;
      const { start, end } = partRange(plan, part);
      const contributors = extents.flatMap((list, rank) => (list.some((extent) => intersect(extent, start, end)) ? [rank] : []));
      // A part this rank wrote whole is uploaded as it is: no second copy of it.
      const whole = contributors.length === 1 && contributors[0] === comm.rank && ownShare?.bytes.length === end - start;
      const buffer = whole ? ownShare!.bytes : new Uint8Array(end - start); // a hole reads as zeros
      for (const [rank, list] of whole ? [] : extents.entries()) {
        const cuts = list.flatMap((extent) => intersect(extent, start, end) ?? []);
        if (cuts.length === 0) continue;
        const payload = rank === comm.rank ? ownShare!.bytes : await comm.recv<Uint8Array>(rank, part);
        let at = 0;
        for (const cut of cuts) {
          buffer.set(payload.subarray(at, at + cut.to - cut.from), cut.from - start);
          at += cut.to - cut.from;
        }
      }
      if (!failure) {
        try {
          uploaded.push(await store.uploadPart(uploadId, part + 1, buffer));
        } catch (error) {
          failure = fileErrorInfo(error, store.location.url);
        }
      }
    }
    await Promise.all(sends.map((send) => send.wait()));
  }
  return failure ? { error: failure } : { ok: uploaded };
}
