import { Redis, type Command } from 'ioredis';
import { ConfigurationError, TransportError } from '../../mpi/errors.ts';
import type { RequestMeter } from '../aws/request-meter.ts';
import { connectFailure, noAnswerWithin } from './connect-failure.ts';
import { printableUrl, type ValkeySettings } from './valkey-settings.ts';

/** How long opening a connection and its first PING may take before the URL is called unreachable. */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * A connection to the job's Valkey server. It never reconnects and never queues commands while
 * disconnected: a connection lost mid-job may have lost a popped message or a push with it (a
 * restarted server has lost its lists), so the job must fail, naming the channel, rather than go
 * on and wait for what will never come.
 */
export interface ValkeyConnection {
  readonly redis: Redis;
  /** Resolves when the connection ends, for whatever reason; `lost` is how, when not closed by us. */
  readonly ended: Promise<{ lost?: TransportError }>;
  /** Whether commands can still be sent on it (not lost, not closed). */
  readonly usable: boolean;
  close(): Promise<void>;
}

/**
 * Opens a connection and checks that a Valkey (or Redis) server answers on it; else a
 * ConfigurationError naming the URL. With a meter, every command it sends from the first is
 * counted there (what the job's commands were, and their ECPUs).
 */
export async function openValkeyConnection(settings: ValkeySettings, role: string, meter?: RequestMeter): Promise<ValkeyConnection> {
  const where = printableUrl(settings.url);
  const redis = new Redis(settings.url, {
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: undefined,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    enableReadyCheck: false,
    retryStrategy: () => null,
    connectionName: `lambda-mpi-${role}`.replace(/[^A-Za-z0-9_-]/g, '-'),
  });
  if (meter) meterCommands(redis, meter);
  let closing = false;
  let lastError: Error | undefined;
  redis.on('error', (error: Error) => (lastError = error));
  const ended = new Promise<{ lost?: TransportError }>((resolve) => {
    redis.once('end', () => resolve(closing ? {} : {
      lost: new TransportError('Valkey', `the connection to ${where} was lost (${lastError?.message ?? 'closed by the server'}); the job's messages there may be lost with it`),
    }));
  });
  try {
    await withTimeout(redis.connect().then(() => redis.ping()), CONNECT_TIMEOUT_MS);
  } catch (error) {
    closing = true;
    redis.disconnect();
    const why = connectFailure(new URL(settings.url), error as Error, lastError, CONNECT_TIMEOUT_MS);
    throw new ConfigurationError('valkey.url', `cannot connect to the Valkey server at ${where}: ${why}`, { cause: lastError ?? error });
  }
  return {
    redis,
    ended,
    get usable() {
      return !closing && redis.status === 'ready';
    },
    async close() {
      if (closing) return;
      closing = true;
      redis.disconnect();
      await ended;
    },
  };
}

/**
 * Commands whose replies carry data (a pop's elements, a scan's keys): their replies' bytes are
 * counted when they come. The others answer OK or a number, a few bytes under an ECPU, and are
 * counted as they are sent, without a reaction on the hop's path.
 */
const DATA_REPLIES = new Set(['blmpop', 'lmpop', 'blpop', 'lpop', 'scan', 'get', 'lrange']);

/**
 * Counts each command the connection sends, by name, with its arguments' bytes (and its reply's,
 * for DATA_REPLIES): every command goes through sendCommand, the handshake's too. A command that
 * fails is counted as sent (the server may have run it).
 */
function meterCommands(redis: Redis, meter: RequestMeter): void {
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = (command: Command, stream?: Parameters<Redis['sendCommand']>[1]) => {
    // Named as Valkey spells them: ioredis's names are in lower case.
    const name = command.name.toUpperCase();
    const sent = valueBytes(command.args);
    if (DATA_REPLIES.has(command.name)) {
      command.promise.then((reply) => meter.record('valkey', name, sent, valueBytes(reply)), () => meter.record('valkey', name, sent, 0));
    } else {
      meter.record('valkey', name, sent, 0);
    }
    return send(command, stream);
  };
}

/** The bytes of a command's arguments or of its reply: its strings' and buffers', nested arrays summed. */
function valueBytes(value: unknown): number {
  if (value instanceof Uint8Array) return value.byteLength;
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number') return String(value).length;
  if (Array.isArray(value)) {
    let bytes = 0;
    for (const item of value) bytes += valueBytes(item);
    return bytes;
  }
  return 0;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(noAnswerWithin(ms))), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
