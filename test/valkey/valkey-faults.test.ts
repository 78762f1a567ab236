import { createServer } from 'node:http';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { ConfigurationError, defineProgram, JobCancelledError, RankFailedError, runLocal } from '../../src/index.ts';
import { valkeyJobTransports } from '../../src/transport/valkey/valkey-job-transports.ts';
import { inboxKey } from '../../src/transport/valkey/valkey-keys.ts';
import { freePort } from '../../tools/local-aws/free-port.ts';
import { startValkeyServer } from '../../tools/local-aws/valkey-server.ts';
import { rejection } from '../conformance/target.ts';
import { keysIn, localValkeyServer } from './local-valkey.ts';

const valkey = localValkeyServer();
const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).href;

let ranksStarted = 0;
const countsItsRanks = defineProgram(async () => {
  ranksStarted++;
});

describe('a Valkey URL that leads nowhere', () => {
  it('is refused before any rank starts, naming the URL, when nothing listens there', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    ranksStarted = 0;
    const error = await rejection(runLocal(countsItsRanks, { size: 2, transport: 'valkey', valkey: { url } }));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.setting).toBe('valkey.url');
    expect(error.message).toContain(url);
    expect(error.message).toContain(`nothing listens at ${new URL(url).host} (connection refused)`);
    expect(ranksStarted).toBe(0);
  });

  it('is refused before any rank starts when what answers is not a Valkey server', async () => {
    const http = createServer((_, response) => response.end('not valkey'));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const url = `redis://127.0.0.1:${(http.address() as { port: number }).port}`;
    try {
      ranksStarted = 0;
      const error = await rejection(runLocal(countsItsRanks, { size: 2, transport: 'valkey', valkey: { url } }));
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(error.message).toContain(url);
      expect(error.message).toContain('does not speak the Redis protocol (its reply began with "H": an HTTP server?)');
      expect(ranksStarted).toBe(0);
    } finally {
      http.close();
    }
  });

  it('says a server that closes the connection unanswered did so, and one that answers nothing did not answer in time', async () => {
    const closes = createNetServer((socket) => socket.destroy());
    const silent = createNetServer(() => undefined);
    await Promise.all([closes, silent].map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))));
    const urlOf = (server: NetServer) => `redis://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const [closed, unanswered] = await Promise.all([closes, silent].map((server) => rejection(runLocal(countsItsRanks, { size: 2, transport: 'valkey', valkey: { url: urlOf(server) } }))));
      expect(closed.message).toContain(`${urlOf(closes)}: the server at ${new URL(urlOf(closes)).host} closed the connection before it answered`);
      expect(unanswered.message).toContain(`${urlOf(silent)}: no answer within 5000 ms: a host that drops the packets (a firewall or security group), or a URL whose TLS does not match`);
    } finally {
      closes.close();
      silent.close();
    }
  });

  it('says the server refused a client without its password, or with a wrong one, and where the password goes', async () => {
    const guarded = await startValkeyServer();
    const admin = new Redis(guarded.url);
    try {
      await admin.config('SET', 'requirepass', 'the-password');
      const withPassword = (password: string) => guarded.url.replace('redis://', `redis://:${password}@`);
      const [none, wrong] = await Promise.all([guarded.url, withPassword('not-it')].map((url) => rejection(runLocal(countsItsRanks, { size: 2, transport: 'valkey', valkey: { url } }))));
      expect(none.message).toMatch(/: the server refused this client: NOAUTH .* \(a password goes in the URL: redis:\/\/:password@host:port/);
      expect(wrong.message).toMatch(/: the server refused this client: WRONGPASS /);
      // The wrong password is not repeated in the message.
      expect(wrong.message).not.toContain('not-it');
      const run = await runLocal(countsItsRanks, { size: 2, transport: 'valkey', valkey: { url: withPassword('the-password') } });
      expect(run.results).toHaveLength(2);
    } finally {
      admin.disconnect();
      await guarded.stop();
    }
  });

  it('is refused at once when it is not a redis:// or rediss:// URL, saying what is allowed', async () => {
    const error = await rejection(runLocal(countsItsRanks, { size: 2, transport: 'valkey', valkey: { url: 'http://127.0.0.1:6379' } }));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toMatch(/valkey\.url: must be redis:\/\/host:port or rediss:\/\/host:port \(TLS\); received "http:\/\/127\.0\.0\.1:6379"/);
  });

  it('is refused before any thread starts too', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const error = await rejection(runLocal(fixture('ring-sendrecv.ts'), { size: 2, threads: true, transport: 'valkey', valkey: { url } }));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain(url);
  });
});

/**
 * Runs `program` on 3 ranks over a server of its own, stopped and started again on the same port
 * (what its lists held is gone) once rank 0 prints `cue`. Returns what caused the job's failure
 * (the transport's error, or a rank's failure carrying it: the first rank to see it fails the
 * job with it), the server's URL and how long the job took.
 */
async function restartedUnder(program: Parameters<typeof runLocal>[0], cue: string): Promise<{ cause: Error; url: string; ms: number }> {
  const server = await startValkeyServer();
  let restarted: Promise<{ stop(): Promise<void> }> | undefined;
  const started = Date.now();
  const job = runLocal(program, {
    size: 3,
    timeoutMs: 120_000,
    transport: 'valkey',
    valkey: { url: server.url },
    onOutput: (line) => {
      if (line.line === cue) restarted ??= server.stop().then(() => startValkeyServer({ port: server.port }));
    },
  });
  const error = await rejection(job);
  await (await restarted)?.stop();
  return { cause: error instanceof RankFailedError ? error.remote : error, url: server.url, ms: Date.now() - started };
}

describe('the server going away mid-job', () => {
  it('fails the job naming the channel, long before its timeout, when the server restarts', async () => {
    const { cause, url } = await restartedUnder(fixture('endless-ring.ts'), 'rank 0 running');
    expect(cause).toMatchObject({ name: 'TransportError' });
    expect(cause.message).toMatch(/^Valkey/);
    expect(cause.message).toContain(url);
  });
});

const sleepsAfterHello = defineProgram(async (comm) => {
  await comm.barrier();
  console.log(`rank ${comm.rank} sleeping`);
  await new Promise((resolve) => setTimeout(resolve, 60_000));
});

describe('the server going away while every rank sleeps', () => {
  it('fails the job at once naming the channel, not at the ranks\' next call', async () => {
    const { cause, url, ms } = await restartedUnder(sleepsAfterHello, 'rank 0 sleeping');
    // The ranks sleep 60 s: a job that ended sooner ended because the server went.
    expect(ms).toBeLessThan(50_000);
    expect(cause).toMatchObject({ name: 'TransportError' });
    expect(cause.message).toContain(url);
  });
});

describe('what a job leaves in the server', () => {
  it('renews a TTL on every list it pushes to, and deletes the lists at the job\'s end', async () => {
    const transports = await valkeyJobTransports({ url: valkey.url(), ttlSeconds: 600 })('ttljob', 2);
    const sender = transports.transport(0);
    // Rank 1 never starts: its list keeps what was pushed.
    await sender.send({ kind: 'data', source: 0, dest: 1, seq: 0, context: 'w', tag: 0, body: new Uint8Array([1, 2, 3]) });
    const redis = new Redis(valkey.url());
    try {
      const key = inboxKey('lambda-mpi', 'ttljob', 1);
      const ttl = await redis.ttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(600);
      await transports.dispose();
      expect(await keysIn(valkey.url())).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });

  it('leaves nothing after a cancelled job whose ranks were exchanging messages', async () => {
    const controller = new AbortController();
    const job = runLocal(fixture('endless-ring.ts'), {
      size: 3,
      threads: true,
      transport: 'valkey',
      valkey: { url: valkey.url() },
      signal: controller.signal,
      onOutput: (line) => {
        if (line.line === 'rank 2 running') controller.abort(new Error('enough'));
      },
    });
    const error = await rejection(job);
    expect(error).toBeInstanceOf(JobCancelledError);
    expect(await keysIn(valkey.url())).toEqual([]);
  });

  it('drops a message pushed into a rank\'s list by anyone without the job\'s key, and counts it', async () => {
    const redis = new Redis(valkey.url());
    try {
      const r = await runLocal(defineProgram(async (comm) => {
        if (comm.rank === 1) {
          await redis.rpush(inboxKey('lambda-mpi', comm.jobId, 1), Buffer.from('LM\x02forged forged forged forged forged!'), Buffer.from('garbage'));
          await comm.send('ready', 0);
          return comm.recv(0);
        }
        await comm.recv(1);
        await comm.send('genuine', 1);
        return undefined;
      }), { size: 2, transport: 'valkey', valkey: { url: valkey.url(), warn: () => undefined } });
      expect(r.results[1]).toBe('genuine');
      expect(r.link.rejected).toEqual({ malformed: 1, unauthentic: 1, badClaim: 0 });
    } finally {
      redis.disconnect();
    }
  });
});
