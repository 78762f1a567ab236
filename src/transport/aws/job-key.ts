import { createHash, createHmac, hash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * A job's secret: 32 random bytes that rank 0 draws when the job starts and hands to its workers
 * in their invocation payload (in-process: to its ranks' transports). It is never written to S3
 * or a queue, where another job's code could read it, and never printed: every message of the
 * job carries an HMAC-SHA256 under it (message-seal.ts), so a message that does not come from a
 * rank of this job is recognised and dropped.
 */
export const JOB_KEY_BYTES = 32;
/** HMAC-SHA256 and SHA-256 outputs. */
export const MAC_BYTES = 32;
export const DIGEST_BYTES = 32;

/** SHA-256's block: HMAC pads its key to this many bytes (RFC 2104). */
const BLOCK_BYTES = 64;
/**
 * Messages up to this many bytes are MACed in one shot (one hash call per pass, over a copy);
 * longer ones stream through an Hmac object, which copies nothing.
 */
const ONE_SHOT_MAC_BYTES = 64 * 1024;

/** The key as it travels in a worker's invocation payload: base64url, 43 characters. */
const KEY_TEXT = /^[A-Za-z0-9_-]{43}$/;

/** A job key. Its bytes are kept out of enumeration so that logging the object does not print them. */
export class JobKey {
  readonly #bytes: Buffer;
  /** The key XORed with HMAC's inner and outer pads, computed once (RFC 2104). */
  readonly #innerPad: Buffer;
  readonly #outerPad: Buffer;

  private constructor(bytes: Buffer) {
    this.#bytes = bytes;
    this.#innerPad = Buffer.alloc(BLOCK_BYTES, 0x36);
    this.#outerPad = Buffer.alloc(BLOCK_BYTES, 0x5c);
    for (let i = 0; i < bytes.byteLength; i++) {
      this.#innerPad[i]! ^= bytes[i]!;
      this.#outerPad[i]! ^= bytes[i]!;
    }
  }

  /** A fresh key from the system's cryptographic random source. */
  static generate(): JobKey {
    return new JobKey(randomBytes(JOB_KEY_BYTES));
  }

  /** The key from its text form, or undefined when `text` is not one. */
  static fromText(text: unknown): JobKey | undefined {
    if (typeof text !== 'string' || !KEY_TEXT.test(text)) return undefined;
    const bytes = Buffer.from(text, 'base64url');
    return bytes.byteLength === JOB_KEY_BYTES ? new JobKey(bytes) : undefined;
  }

  /** The text form, for the worker's invocation payload (and the ranks' threads) only. */
  toText(): string {
    return this.#bytes.toString('base64url');
  }

  /**
   * The HMAC-SHA256 under this key of `parts` one after the other. A small message (every message
   * of a round trip) is hashed in one shot from the precomputed pads: creating an Hmac object per
   * message was most of what sealing and opening one cost.
   */
  mac(parts: readonly Uint8Array[]): Buffer {
    let length = 0;
    for (const part of parts) length += part.byteLength;
    if (length > ONE_SHOT_MAC_BYTES) {
      const mac = createHmac('sha256', this.#bytes);
      for (const part of parts) mac.update(part);
      return mac.digest();
    }
    const inner = hash('sha256', Buffer.concat([this.#innerPad, ...parts], BLOCK_BYTES + length), 'buffer');
    return hash('sha256', Buffer.concat([this.#outerPad, inner], BLOCK_BYTES + inner.byteLength), 'buffer');
  }

  /** Never the key itself, whoever prints it. */
  toJSON(): string {
    return '[job key]';
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return 'JobKey [hidden]';
  }
}

/** The SHA-256 of bytes (a claim-checked body's, carried in its authenticated frame). */
export function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

/** Compares two MACs or digests in constant time. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && timingSafeEqual(a, b);
}
