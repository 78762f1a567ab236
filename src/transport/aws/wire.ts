import type { ByteFrame, FrameKind, RejectedMessages } from '../transport.ts';
import { DIGEST_BYTES, MAC_BYTES, type JobKey } from './job-key.ts';

/**
 * Frames inside SQS message bodies. SQS bodies are text, so a message is base64 of:
 * "LM" 0x02 | mac (32 bytes) | frames back to back, each:
 *   kind u8 | flags u8 | source u32 | dest u32 | seq u32 | tag u32 | contextLength u16 | context
 *   | bodyLength u32 | body, or, when FLAG_CLAIM_CHECK, the SHA-256 of the body (32 bytes): the
 *   body itself is an S3 object
 * mac = HMAC-SHA256 under the job's key (job-key.ts) of: the job id, a zero byte, the
 * destination rank (u32: the queue the message is for), then the message without its mac. So a
 * message is accepted only by the queue of the job it was sealed for, whole: a forged, truncated
 * or altered message, or one copied from another job or another rank's queue, fails the check.
 * A claim-checked body is bound to its frame by its digest, checked when it is fetched.
 * Several frames for one destination share a message, so a burst of small sends costs one
 * request (and one MAC) instead of one each.
 */
const MAGIC = Buffer.from([0x4c, 0x4d, 0x02]);
const FLAG_CLAIM_CHECK = 1;
const FIXED_HEADER_BYTES = 1 + 1 + 4 * 4 + 2 + 4;
const PREAMBLE_BYTES = MAGIC.length + MAC_BYTES;
/** Communicator contexts are short; this bound keeps the claim-check threshold a constant. */
export const MAX_CONTEXT_BYTES = 1000;
export const MAX_FRAME_HEADER_BYTES = FIXED_HEADER_BYTES + MAX_CONTEXT_BYTES;

const KIND_CODE: Record<FrameKind, number> = { data: 0, ctrl: 1 };
const KIND_OF = ['data', 'ctrl'] as const;

/** A frame as it travels in a message: its body inline, or only its digest when claim-checked. */
export interface WireFrame {
  frame: ByteFrame;
  claimChecked: boolean;
  /** The SHA-256 of a claim-checked body (the S3 object). */
  bodyDigest?: Uint8Array;
}

/** What seals and opens the messages of one job: its id and its key. */
export interface MessageSeal {
  jobId: string;
  key: JobKey;
}

/** The limits that follow from the queue's maximum message size. */
export interface WireLimits {
  /** Raw bytes whose base64 fits in one message. */
  maxRawBytes: number;
  /** Frame bodies above this many bytes go to S3. */
  claimCheckThreshold: number;
}

export function wireLimits(maxMessageBytes: number): WireLimits {
  const maxRawBytes = Math.floor(maxMessageBytes / 4) * 3;
  return { maxRawBytes, claimCheckThreshold: maxRawBytes - PREAMBLE_BYTES - MAX_FRAME_HEADER_BYTES };
}

export function encodedFrameBytes(wire: WireFrame): number {
  return FIXED_HEADER_BYTES + Buffer.byteLength(wire.frame.context) + (wire.claimChecked ? DIGEST_BYTES : wire.frame.body.byteLength);
}

/** One message of a packing: its frames, in order, and its size before base64. */
export interface PlannedMessage {
  frames: WireFrame[];
  rawBytes: number;
}

/** How frames (all for one queue) share messages: in order, each message filled up to the limit. */
export function planMessages(frames: WireFrame[], limits: WireLimits): PlannedMessage[] {
  const messages: PlannedMessage[] = [];
  let current: PlannedMessage = { frames: [], rawBytes: PREAMBLE_BYTES };
  for (const wire of frames) {
    const bytes = encodedFrameBytes(wire);
    if (current.frames.length > 0 && current.rawBytes + bytes > limits.maxRawBytes) {
      messages.push(current);
      current = { frames: [], rawBytes: PREAMBLE_BYTES };
    }
    current.frames.push(wire);
    current.rawBytes += bytes;
  }
  if (current.frames.length > 0) messages.push(current);
  return messages;
}

/** The length of a message body once its raw bytes are base64 text. */
export function base64Length(rawBytes: number): number {
  return 4 * Math.ceil(rawBytes / 3);
}

/** Packs frames (all for one queue) into as few message bodies as fit, each sealed with the job's key. */
export function packMessages(frames: WireFrame[], limits: WireLimits, seal: MessageSeal): string[] {
  return sealMessages(frames, limits, seal).map((message) => message.toString('base64'));
}

/**
 * The sealed messages as raw bytes, for a channel that carries bytes (Valkey); SQS carries text,
 * so packMessages sends their base64.
 */
export function sealMessages(frames: WireFrame[], limits: WireLimits, seal: MessageSeal): Buffer[] {
  return planMessages(frames, limits).map(({ frames: inMessage, rawBytes }) => {
    // One buffer per message, its frames written in place: a small message's seal is on every
    // hop's path, and separate parts joined afterwards cost a copy and an allocation each.
    const message = Buffer.allocUnsafe(rawBytes);
    MAGIC.copy(message, 0);
    let at = PREAMBLE_BYTES;
    for (const wire of inMessage) at = writeFrame(wire, message, at);
    seal.key.macInto(macParts(seal, inMessage[0]!.frame.dest, message.subarray(PREAMBLE_BYTES)), message, MAGIC.length);
    return message;
  });
}

/**
 * The bytes that bind a MAC to the job and the queue (the job id, a zero byte, the destination
 * rank), kept per seal and destination: every message to a rank needs the same ones.
 */
const bindings = new WeakMap<MessageSeal, Map<number, Buffer>>();

function bindingOf(seal: MessageSeal, dest: number): Buffer {
  let byDest = bindings.get(seal);
  if (!byDest) bindings.set(seal, (byDest = new Map()));
  let binding = byDest.get(dest);
  if (!binding) {
    binding = Buffer.allocUnsafe(Buffer.byteLength(seal.jobId) + 1 + 4);
    const at = binding.write(seal.jobId);
    binding.writeUInt8(0, at);
    binding.writeUInt32BE(dest, at + 1);
    byDest.set(dest, binding);
  }
  return binding;
}

/** What the MAC of a message for `dest` whose frames are `frames` covers (the magic is fixed, so it adds nothing). */
function macParts(seal: MessageSeal, dest: number, frames: Uint8Array): Uint8Array[] {
  return [bindingOf(seal, dest), MAGIC, frames];
}

/** Writes a frame into `out` at `at` (encodedFrameBytes long); where the next one starts. */
function writeFrame({ frame, claimChecked, bodyDigest }: WireFrame, out: Buffer, at: number): number {
  const contextLength = Buffer.byteLength(frame.context);
  if (contextLength > MAX_CONTEXT_BYTES) throw new Error(`communicator context too long (${contextLength} bytes)`);
  if (claimChecked && bodyDigest?.byteLength !== DIGEST_BYTES) throw new Error('a claim-checked frame needs the SHA-256 of its body');
  at = out.writeUInt8(KIND_CODE[frame.kind], at);
  at = out.writeUInt8(claimChecked ? FLAG_CLAIM_CHECK : 0, at);
  at = out.writeUInt32BE(frame.source, at);
  at = out.writeUInt32BE(frame.dest, at);
  at = out.writeUInt32BE(frame.seq, at);
  at = out.writeUInt32BE(frame.tag, at);
  at = out.writeUInt16BE(contextLength, at);
  at += out.write(frame.context, at);
  at = out.writeUInt32BE(frame.body.byteLength, at);
  const carried = claimChecked ? bodyDigest! : frame.body;
  out.set(carried, at);
  return at + carried.byteLength;
}

/** A frame read from a message; a claim-checked one still has to fetch its body (bodyLength bytes, bodyDigest). */
export interface ParsedFrame {
  frame: ByteFrame;
  claimChecked: boolean;
  bodyLength: number;
  bodyDigest?: Uint8Array;
}

/** Why a message was refused before any of its frames reached the link layer. */
export type MessageRejection = keyof RejectedMessages;

const REJECTION_WORDS: Record<MessageRejection, string> = {
  malformed: 'a message that is not one of lambda-mpi\'s',
  unauthentic: 'a message that failed authentication',
  badClaim: 'a frame whose S3 body is not the one it was sent with',
};

/** The one line a rank writes the first time it refuses a message of a kind (later ones are only counted). */
export function refusalLine(jobId: string, rank: number, why: MessageRejection, detail: string): string {
  return `[job ${jobId}] lambda-mpi: rank ${rank} dropped ${REJECTION_WORDS[why]} (${detail}); more of this kind are counted in the job's link stats (rejected.${why}), not logged`;
}

/** A message's frames, or why it was refused (with words for a log line: never the message's bytes). */
export type OpenedMessage = { frames: ParsedFrame[] } | { rejected: MessageRejection; why: string };

/**
 * Checks a message's MAC for the queue of rank `dest` and only then parses it. Garbage, a
 * truncated message and a forged one are answered, never thrown.
 */
export function openMessage(body: string, seal: MessageSeal, dest: number): OpenedMessage {
  return openSealedBytes(Buffer.from(body, 'base64'), seal, dest);
}

/** openMessage for a message carried as raw bytes (sealMessages). */
export function openSealedBytes(bytes: Buffer, seal: MessageSeal, dest: number): OpenedMessage {
  if (bytes.byteLength < PREAMBLE_BYTES || bytes[0] !== MAGIC[0] || bytes[1] !== MAGIC[1] || bytes[2] !== MAGIC[2]) {
    return { rejected: 'malformed', why: 'not a lambda-mpi message (its first bytes are not the format\'s)' };
  }
  if (!seal.key.macMatches(macParts(seal, dest, bytes.subarray(PREAMBLE_BYTES)), bytes, MAGIC.length)) {
    return { rejected: 'unauthentic', why: 'its MAC does not match: forged, truncated or altered, or sealed for another job or queue' };
  }
  const frames = parseFrames(bytes, dest);
  return typeof frames === 'string' ? { rejected: 'malformed', why: frames } : { frames };
}

/** The frames of an authenticated message, or what is wrong with it (only a faulty sender makes that). */
function parseFrames(bytes: Buffer, dest: number): ParsedFrame[] | string {
  const frames: ParsedFrame[] = [];
  let at = PREAMBLE_BYTES;
  while (at < bytes.byteLength) {
    if (at + FIXED_HEADER_BYTES > bytes.byteLength) return 'a frame header runs past the end of the message';
    const kind = KIND_OF[bytes.readUInt8(at)];
    if (!kind) return `unknown frame kind ${bytes.readUInt8(at)}`;
    const claimChecked = (bytes.readUInt8(at + 1) & FLAG_CLAIM_CHECK) !== 0;
    const source = bytes.readUInt32BE(at + 2);
    const frameDest = bytes.readUInt32BE(at + 6);
    const seq = bytes.readUInt32BE(at + 10);
    const tag = bytes.readUInt32BE(at + 14);
    const contextLength = bytes.readUInt16BE(at + 18);
    at += 20;
    if (frameDest !== dest) return `a frame for rank ${frameDest} in the queue of rank ${dest}`;
    if (at + contextLength + 4 > bytes.byteLength) return 'a frame header runs past the end of the message';
    const context = bytes.toString('utf8', at, at + contextLength);
    at += contextLength;
    const bodyLength = bytes.readUInt32BE(at);
    at += 4;
    const carried = claimChecked ? DIGEST_BYTES : bodyLength;
    if (at + carried > bytes.byteLength) return 'a frame body runs past the end of the message';
    const frame: ByteFrame = { kind, source, dest, seq, tag, context, body: EMPTY };
    if (claimChecked) {
      frames.push({ frame, claimChecked, bodyLength, bodyDigest: alignedCopy(bytes, at, DIGEST_BYTES) });
    } else {
      // Copy out: the body must not pin, or alias, the whole message buffer.
      frame.body = alignedCopy(bytes, at, bodyLength);
      frames.push({ frame, claimChecked, bodyLength });
    }
    at += carried;
  }
  return frames;
}

const EMPTY = new Uint8Array(0);

function alignedCopy(source: Buffer, start: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  out.set(source.subarray(start, start + length));
  return out;
}
