import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { JobRecordError, parseJobRecord, type JobRecord } from '../../src/job-store/job-record.ts';
import {
  busyKey, cancelRequestKey, claimCheckKey, eventChunkKey, eventLogPrefix, jobIdOfWorkingKey, jobPrefix, jobRecordKey, jobStartClaimKey,
  jobTraceKey, programBundleKey, pulseKey, rankClaimKey, requestClaimKey, seqOfEventChunkKey, sharedObjectKey, storedInputKey,
} from '../../src/job-store/keys.ts';
import { resultJson, toJsonSafe } from '../../src/job-store/result-json.ts';

const JOB = 'aaaaaaaaaaaaaaaaaaaaaaaaaa';
const OTHER = 'bbbbbbbbbbbbbbbbbbbbbbbbbb';

/** Every key of one job, by what it holds: the objects deleted with the job, and those that outlive it. */
function workingKeys(jobId: string): Record<string, string> {
  return {
    claimCheck: claimCheckKey(jobId, { source: 17, dest: 3, seq: 42 }),
    shared: sharedObjectKey(jobId, 5, 2),
    rankClaim: rankClaimKey(jobId, 3),
    input: storedInputKey(jobId),
    pulse: pulseKey(jobId),
    busy: busyKey(jobId, 3),
  };
}
function lastingKeys(jobId: string): Record<string, string> {
  return {
    record: jobRecordKey(jobId),
    startClaim: jobStartClaimKey(jobId),
    cancel: cancelRequestKey(jobId),
    trace: jobTraceKey(jobId),
    eventChunk: eventChunkKey(jobId, 7),
  };
}

describe('the job bucket\'s key layout', () => {
  it('puts every working object of a job under its prefix, and finds the job again from each key', () => {
    for (const [what, key] of Object.entries(workingKeys(JOB))) {
      expect(key.startsWith(jobPrefix(JOB)), what).toBe(true);
      expect(jobIdOfWorkingKey(key), what).toBe(JOB);
    }
    expect(jobIdOfWorkingKey(jobRecordKey(JOB))).toBeUndefined();
    expect(jobIdOfWorkingKey(jobPrefix(JOB).slice(0, -1))).toBeUndefined();
  });

  it('keeps what outlives a job out of its working prefix, so deleting the job\'s objects leaves its record, trace, log and claims', () => {
    for (const [what, key] of Object.entries(lastingKeys(JOB))) expect(key.startsWith(jobPrefix(JOB)), what).toBe(false);
    expect(requestClaimKey('f'.repeat(64)).startsWith(jobPrefix(JOB))).toBe(false);
    expect(programBundleKey('f'.repeat(64)).startsWith(jobPrefix(JOB))).toBe(false);
  });

  it('gives every object of a job its own key, and no key of one job is another job\'s', () => {
    const mine = [...Object.values(workingKeys(JOB)), ...Object.values(lastingKeys(JOB))];
    const theirs = new Set([...Object.values(workingKeys(OTHER)), ...Object.values(lastingKeys(OTHER))]);
    expect(new Set(mine).size).toBe(mine.length);
    for (const key of mine) expect(theirs.has(key), key).toBe(false);
    // A job's prefix is not the start of another job's whose id extends it.
    expect(claimCheckKey(`${JOB}x`, { source: 0, dest: 1, seq: 0 }).startsWith(jobPrefix(JOB))).toBe(false);
  });

  it('round-trips an event chunk\'s seq through its key, in listing order, for this job only', () => {
    const seqs = [0, 1, 9, 10, 99, 12345, 9_999_999_999];
    for (const seq of seqs) expect(seqOfEventChunkKey(JOB, eventChunkKey(JOB, seq))).toBe(seq);
    const keys = seqs.map((seq) => eventChunkKey(JOB, seq));
    expect([...keys].sort()).toEqual(keys);
    expect(seqOfEventChunkKey(OTHER, eventChunkKey(JOB, 3))).toBeUndefined();
    expect(seqOfEventChunkKey(JOB, `${eventLogPrefix(JOB)}3.json`)).toBeUndefined();
    expect(seqOfEventChunkKey(JOB, jobTraceKey(JOB))).toBeUndefined();
  });

  it('spreads claim checks and shared objects over prefixes by sender, and names a body by its link position', () => {
    const prefixOf = (key: string) => key.split('/').slice(0, 4).join('/');
    const senders = Array.from({ length: 32 }, (_, source) => prefixOf(claimCheckKey(JOB, { source, dest: 0, seq: 0 })));
    expect(new Set(senders).size).toBeGreaterThan(1);
    expect(claimCheckKey(JOB, { source: 1, dest: 2, seq: 3 })).toBe(claimCheckKey(JOB, { source: 1, dest: 2, seq: 3 }));
    expect(claimCheckKey(JOB, { source: 1, dest: 2, seq: 3 })).not.toBe(claimCheckKey(JOB, { source: 1, dest: 2, seq: 4 }));
    expect(sharedObjectKey(JOB, 1, 0)).not.toBe(sharedObjectKey(JOB, 1, 1));
  });

  it('is the only place in src/ that spells a bucket key: no other module writes "jobs/", "runs/" or "programs/" in code', () => {
    const root = fileURLToPath(new URL('../../src/', import.meta.url));
    const offenders: string[] = [];
    for (const file of sourceFiles(root)) {
      const path = relative(root, file);
      if (path === join('job-store', 'keys.ts')) continue;
      readFileSync(file, 'utf8').split('\n').forEach((line, index) => {
        const code = withoutComments(line);
        if (/[`'"](jobs|runs|programs)\//.test(code)) offenders.push(`src/${path}:${index + 1}: ${line.trim()}`);
      });
    }
    expect(offenders).toEqual([]);
  });
});

describe('a job\'s record', () => {
  const records: JobRecord[] = [
    { jobId: JOB, status: 'running', program: 'hello', size: 3, startedAt: '2026-01-01T00:00:00.000Z' },
    { jobId: JOB, status: 'succeeded', result: 3, output: [] },
    { jobId: JOB, status: 'failed', error: { name: 'RankFailedError', message: 'rank 1 failed', rank: 1 }, output: [{ rank: 1, stream: 'stderr', line: 'x' }] },
    { jobId: JOB, status: 'cancelled', cancelledBy: 'lambda-mpi cancel', error: { name: 'JobCancelledError', message: 'cancelled' } },
    { jobId: JOB, status: 'lost', error: { name: 'RankLostError', message: 'rank 0 went silent' } },
  ];

  it('reads back every status as it was written', () => {
    for (const record of records) expect(parseJobRecord(JOB, JSON.stringify(record))).toEqual(record);
  });

  it.each([
    ['text that is not JSON', '{"jobId":', /is not JSON/],
    ['an array', '[]', /is an array; a record is a JSON object/],
    ['another job\'s record', JSON.stringify({ ...records[1], jobId: OTHER }), new RegExp(`names job "${OTHER}"; a record names its own job`)],
    ['an unknown status', JSON.stringify({ jobId: JOB, status: 'done' }), /status "done"; allowed are running, succeeded, failed, cancelled, lost/],
    ['a running record without its program and size', JSON.stringify({ jobId: JOB, status: 'running' }), /without the job's program and size/],
    ['a failed record without an error', JSON.stringify({ jobId: JOB, status: 'failed' }), /says failed without an error message/],
  ])('refuses %s, naming the job, what was wrong and what is allowed', (_what, text, message) => {
    let caught: unknown;
    try {
      parseJobRecord(JOB, text);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(JobRecordError);
    expect((caught as JobRecordError).jobId).toBe(JOB);
    expect((caught as Error).message).toContain(jobRecordKey(JOB));
    expect((caught as Error).message).toMatch(message);
  });
});

describe('the one result-to-JSON mapping', () => {
  const values: Array<[string, unknown]> = [
    ['a bigint', 123n],
    ['a Map with string keys', new Map([['a', 1n]])],
    ['a Map with other keys', new Map<unknown, unknown>([[1, 'x'], [[2], new Set([3])]])],
    ['a Buffer nested in an object', { bytes: Buffer.from('hi') }],
    ['TypedArrays', { f: new Float64Array([1.5, -0]), b: new BigInt64Array([5n]) }],
    ['non-finite numbers', [NaN, Infinity]],
    ['a Date and an Error', { at: new Date(0), error: new RangeError('no') }],
    ['nothing', undefined],
  ];

  it.each(values)('prints %s the same from a record on a stage as from a result in this process', (_what, value) => {
    // A stage's record holds toJsonSafe(result) as JSON; --result maps what it reads once more.
    const recorded = JSON.parse(JSON.stringify({ result: toJsonSafe(value) ?? null })).result;
    expect(resultJson(recorded)).toBe(resultJson(value));
  });

  it('prints null when rank 0 returned nothing, and bigints as decimal strings', () => {
    expect(resultJson(undefined)).toBe('null');
    expect(resultJson({ n: 123n })).toBe('{"n":"123"}');
  });
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mts)$/.test(name) ? [path] : [];
  });
}

/** A line without its comment (`//` to the end, or a doc comment's line). */
function withoutComments(line: string): string {
  if (/^\s*(\/\*\*|\*|\/\/)/.test(line)) return '';
  return line.replace(/\s\/\/.*$/, '');
}
