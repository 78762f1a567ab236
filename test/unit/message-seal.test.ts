import { createHmac, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { refusalOf, type WorkerEvent } from '../../src/service/worker-event.ts';
import { newJobId } from '../../src/runtime/job-id.ts';
import { JobKey } from '../../src/transport/aws/job-key.ts';
import { openMessage, packMessages, wireLimits, type MessageSeal } from '../../src/transport/aws/wire.ts';
import type { ByteFrame } from '../../src/transport/transport.ts';

const limits = wireLimits(1024 * 1024);

function sealFor(jobId = newJobId(), key = JobKey.generate()): MessageSeal {
  return { jobId, key };
}

function frames(dest: number, count = 3): ByteFrame[] {
  return Array.from({ length: count }, (_, seq) => ({ kind: 'data', source: 0, dest, seq, context: 'w', tag: 7, body: new Uint8Array([seq, 1, 2]) }));
}

function pack(seal: MessageSeal, dest: number): string {
  return packMessages(frames(dest).map((frame) => ({ frame, claimChecked: false })), limits, seal)[0]!;
}

describe('a sealed message opens only for the job and the queue it was sealed for', () => {
  it('opens whole and unchanged for its job and destination', () => {
    const seal = sealFor();
    const opened = openMessage(pack(seal, 2), seal, 2);
    expect('frames' in opened && opened.frames.map((f) => [f.frame.seq, [...f.frame.body]])).toEqual([[0, [0, 1, 2]], [1, [1, 1, 2]], [2, [2, 1, 2]]]);
  });

  it.each([
    ['another rank\'s queue', (seal: MessageSeal) => openMessage(pack(seal, 2), seal, 1)],
    ['another job with the same key', (seal: MessageSeal) => openMessage(pack(seal, 2), { ...seal, jobId: newJobId() }, 2)],
    ['another key', (seal: MessageSeal) => openMessage(pack(seal, 2), sealFor(seal.jobId), 2)],
    ['truncated', (seal: MessageSeal) => openMessage(Buffer.from(pack(seal, 2), 'base64').subarray(0, -1).toString('base64'), seal, 2)],
    ['one bit of a body flipped', (seal: MessageSeal) => {
      const raw = Buffer.from(pack(seal, 2), 'base64');
      raw[raw.byteLength - 1]! ^= 1;
      return openMessage(raw.toString('base64'), seal, 2);
    }],
  ])('is refused as unauthentic when opened by %s', (_, open) => {
    expect(open(sealFor())).toMatchObject({ rejected: 'unauthentic' });
  });

  it.each(['', 'hello', 'TE0B', Buffer.alloc(100).toString('base64')])('refuses %j as malformed, without throwing', (body) => {
    expect(openMessage(body, sealFor(), 0)).toMatchObject({ rejected: 'malformed' });
  });
});

describe('a job key MACs as HMAC-SHA256 does', () => {
  it.each([
    ['nothing', []],
    ['one small part', [randomBytes(100)]],
    ['several parts, one empty', [randomBytes(7), new Uint8Array(0), randomBytes(300)]],
    ['parts longer than one shot', [randomBytes(40_000), randomBytes(40_000)]],
  ])('over %s: the same bytes as node:crypto\'s createHmac over the parts in order', (_, parts: Uint8Array[]) => {
    const text = randomBytes(32).toString('base64url');
    const expected = createHmac('sha256', Buffer.from(text, 'base64url'));
    for (const part of parts) expected.update(part);
    const digest = expected.digest();
    const key = JobKey.fromText(text)!;
    const out = Buffer.alloc(3 + 32 + 2, 9);
    key.macInto(parts, out, 3);
    expect(out.subarray(3, 35).equals(digest)).toBe(true);
    // The bytes around it are left alone.
    expect([...out.subarray(0, 3), ...out.subarray(35)]).toEqual([9, 9, 9, 9, 9]);
    expect(key.macMatches(parts, out, 3)).toBe(true);
    // One bit off anywhere in the MAC, or the MAC not all there: no match.
    for (const bit of [0, 100, 255]) {
      const altered = Buffer.from(out);
      altered[3 + (bit >> 3)]! ^= 1 << (bit & 7);
      expect(key.macMatches(parts, altered, 3)).toBe(false);
    }
    expect(key.macMatches(parts, out.subarray(0, 34), 3)).toBe(false);
  });
});

describe('the job key is never printed', () => {
  it('prints as a placeholder however it is logged, and round-trips through its text form', () => {
    const key = JobKey.generate();
    const text = key.toText();
    expect(text).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify({ key })).not.toContain(text);
    expect(inspect({ key })).not.toContain(text);
    expect(`${String(key)}`).not.toContain(text);
    expect(JobKey.fromText(text)!.toText()).toBe(text);
  });

  it('a worker event with a missing or bad key is refused without the value in the reason', () => {
    const jobId = newJobId();
    const event: WorkerEvent = {
      kind: 'lambda-mpi/worker', jobId, rank: 1, size: 2, program: 'hello', timeoutMs: 1_000, deadline: Date.now() + 1_000,
      queueUrlBase: `http://127.0.0.1/000000000000/lambda-mpi-dev-${jobId}-`, fanout: 8, jobKey: JobKey.generate().toText(),
    };
    const stage = { queuePrefix: 'lambda-mpi-dev', maxRanks: 32 };
    expect(refusalOf(event, stage)).toBeUndefined();
    const badKey = `${event.jobKey.slice(0, 40)}!!!`;
    const refusal = refusalOf({ ...event, jobKey: badKey }, stage);
    expect(refusal).toBe('its jobKey is not a job key (32 bytes as 43 characters of base64url)');
    const { jobKey: _, ...withoutKey } = event;
    expect(refusalOf(withoutKey as WorkerEvent, stage)).toBe(refusal);
  });
});
