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
  /** The outer pad, then room for the inner digest: the outer hash's input, rewritten per message. */
  readonly #outer: Buffer;
  /** Where a MAC to check against is written. */
  readonly #expected = Buffer.alloc(MAC_BYTES);

  private constructor(bytes: Buffer) {
    this.#bytes = bytes;
    this.#innerPad = Buffer.alloc(BLOCK_BYTES, 0x36);
    this.#outer = Buffer.alloc(BLOCK_BYTES + MAC_BYTES);
    this.#outer.fill(0x5c, 0, BLOCK_BYTES);
    for (let i = 0; i < bytes.byteLength; i++) {
      this.#innerPad[i]! ^= bytes[i]!;
      this.#outer[i]! ^= bytes[i]!;
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
   * Writes the HMAC-SHA256 under this key of `parts`, one after the other, into `out` at `at`.
   * A small message (every message of a round trip) is hashed in one shot from the precomputed
   * pads, its digests taken as hex and written into buffers this key keeps: creating an Hmac
   * object per message, or a Buffer per digest, was most of what sealing and opening one cost
   * (bench case valkey.roundtrip-small.np2).
   */
  macInto(parts: readonly Uint8Array[], out: Buffer, at: number): void {
    out.write(this.#macHex(parts), at, MAC_BYTES, 'hex');
  }

  /** Whether `bytes` hold at `at` the HMAC-SHA256 under this key of `parts` (compared in constant time). */
  macMatches(parts: readonly Uint8Array[], bytes: Uint8Array, at: number): boolean {
    if (bytes.byteLength < at + MAC_BYTES) return false;
    this.#expected.write(this.#macHex(parts), 0, MAC_BYTES, 'hex');
    return timingSafeEqual(this.#expected, bytes.subarray(at, at + MAC_BYTES));
  }

  #macHex(parts: readonly Uint8Array[]): string {
    let length = 0;
    for (const part of parts) length += part.byteLength;
    if (length > ONE_SHOT_MAC_BYTES) {
      const mac = createHmac('sha256', this.#bytes);
      for (const part of parts) mac.update(part);
      return mac.digest('hex');
    }
    const inner = hash('sha256', Buffer.concat([this.#innerPad, ...parts], BLOCK_BYTES + length), 'hex');
    this.#outer.write(inner, BLOCK_BYTES, MAC_BYTES, 'hex');
    return hash('sha256', this.#outer, 'hex');
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
