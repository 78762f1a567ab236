import { ConfigurationError } from '../../mpi/errors.ts';

/** Everything the Valkey transport needs, checked once (resolveValkeySettings). */
export interface ValkeySettings {
  /** `redis://host:port` (a local server) or `rediss://host:port` (TLS: ElastiCache Serverless requires it). */
  url: string;
  /** Every key of a job starts with this (and an ACL may scope to it). */
  keyPrefix: string;
  /**
   * Each list expires this long after its last push: the second net, for keys a job's cleanup
   * never reached (a process killed before it). Longer than any job (Lambda's 900 s and more).
   */
  ttlSeconds: number;
  /**
   * Frame bodies above this many bytes go through S3 when the job has S3 (`aws`), as a claim
   * check; without S3 every body travels in the list. Chosen by price and measurement
   * (docs/architecture.md, "The Valkey channel").
   */
  claimCheckBytes: number;
}

export const DEFAULT_VALKEY_KEY_PREFIX = 'lambda-mpi';
export const DEFAULT_VALKEY_TTL_SECONDS = 3600;
export const DEFAULT_VALKEY_CLAIM_CHECK_BYTES = 1024 * 1024;

const URL_SCHEMES = ['redis:', 'rediss:'];

/** Fills defaults and checks every setting, naming what is wrong and what is allowed. */
export function resolveValkeySettings(input: Partial<ValkeySettings> & { url: string }): ValkeySettings {
  const settings: ValkeySettings = {
    keyPrefix: DEFAULT_VALKEY_KEY_PREFIX,
    ttlSeconds: DEFAULT_VALKEY_TTL_SECONDS,
    claimCheckBytes: DEFAULT_VALKEY_CLAIM_CHECK_BYTES,
    ...input,
  };
  checkValkeyUrl(settings.url);
  if (typeof settings.keyPrefix !== 'string' || !/^[A-Za-z0-9_-]{1,40}$/.test(settings.keyPrefix)) {
    throw new ConfigurationError('valkey.keyPrefix', `must be 1-40 letters, digits, '-' or '_'; received ${JSON.stringify(settings.keyPrefix)}`);
  }
  if (!Number.isInteger(settings.ttlSeconds) || settings.ttlSeconds < 60 || settings.ttlSeconds > 7 * 24 * 3600) {
    throw new ConfigurationError('valkey.ttlSeconds', `must be an integer in 60..604800; received ${String(settings.ttlSeconds)}`);
  }
  if (!Number.isInteger(settings.claimCheckBytes) || settings.claimCheckBytes < 1024 || settings.claimCheckBytes > 256 * 2 ** 20) {
    throw new ConfigurationError('valkey.claimCheckBytes', `must be an integer in 1024..268435456; received ${String(settings.claimCheckBytes)}`);
  }
  return settings;
}

function checkValkeyUrl(url: unknown): void {
  let parsed: URL | undefined;
  try {
    parsed = typeof url === 'string' ? new URL(url) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed || !URL_SCHEMES.includes(parsed.protocol) || !parsed.hostname) {
    throw new ConfigurationError('valkey.url', `must be redis://host:port or rediss://host:port (TLS); received ${JSON.stringify(url)}`);
  }
}

/** The URL without its password, for messages. */
export function printableUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString().replace(/\/$/, '');
}
