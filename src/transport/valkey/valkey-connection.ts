import { Redis } from 'ioredis';
import { ConfigurationError, TransportError } from '../../mpi/errors.ts';
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

/** Opens a connection and checks that a Valkey (or Redis) server answers on it; else a ConfigurationError naming the URL. */
export async function openValkeyConnection(settings: ValkeySettings, role: string): Promise<ValkeyConnection> {
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
    throw new ConfigurationError('valkey.url', `no Valkey server answers at ${where}: ${(error as Error).message}`, { cause: error });
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

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
