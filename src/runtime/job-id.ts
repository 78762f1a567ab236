import { randomBytes } from 'node:crypto';

const JOB_ID = /^[a-z2-7]{26}$/;

/**
 * 128 random bits, base32 in lower case: unguessable, and valid inside SQS queue names and S3
 * keys (letters and digits only), so every resource of a job can be named from it.
 */
export function newJobId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  const bytes = randomBytes(16);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

/** Whether `value` has the form of an id newJobId makes. */
export function isJobId(value: unknown): value is string {
  return typeof value === 'string' && JOB_ID.test(value);
}
