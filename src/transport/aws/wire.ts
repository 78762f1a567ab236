import type { ByteFrame, FrameKind } from '../transport.ts';

/**
 * Frames inside SQS message bodies. SQS bodies are text, so a message is base64 of:
 * "LM" 0x01, then frames back to back, each:
 *   kind u8 | flags u8 | source u32 | dest u32 | seq u32 | tag u32 | contextLength u16 | context
 *   | bodyLength u32 | body (absent when FLAG_CLAIM_CHECK: the body is an S3 object)
 * Several frames for one destination share a message, so a burst of small sends costs one
 * request instead of one each.
 */
const MAGIC = [0x4c, 0x4d, 0x01];
const FLAG_CLAIM_CHECK = 1;
const FIXED_HEADER_BYTES = 1 + 1 + 4 * 4 + 2 + 4;
/** Communicator contexts are short; this bound keeps the claim-check threshold a constant. */
export const MAX_CONTEXT_BYTES = 1000;
export const MAX_FRAME_HEADER_BYTES = FIXED_HEADER_BYTES + MAX_CONTEXT_BYTES;

const KIND_CODE: Record<FrameKind, number> = { data: 0, ctrl: 1 };
const KIND_OF = ['data', 'ctrl'] as const;

/** A frame as it travels in a message: its body inline, or only its length when claim-checked. */
export interface WireFrame {
  frame: ByteFrame;
  claimChecked: boolean;
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
  return { maxRawBytes, claimCheckThreshold: maxRawBytes - MAGIC.length - MAX_FRAME_HEADER_BYTES };
}

export function encodedFrameBytes(wire: WireFrame): number {
  return FIXED_HEADER_BYTES + Buffer.byteLength(wire.frame.context) + (wire.claimChecked ? 0 : wire.frame.body.byteLength);
}

/** One message of a packing: its frames, in order, and its size before base64. */
export interface PlannedMessage {
  frames: WireFrame[];
  rawBytes: number;
}

/** How frames (all for one queue) share messages: in order, each message filled up to the limit. */
export function planMessages(frames: WireFrame[], limits: WireLimits): PlannedMessage[] {
  const messages: PlannedMessage[] = [];
  let current: PlannedMessage = { frames: [], rawBytes: MAGIC.length };
  for (const wire of frames) {
    const bytes = encodedFrameBytes(wire);
    if (current.frames.length > 0 && current.rawBytes + bytes > limits.maxRawBytes) {
      messages.push(current);
      current = { frames: [], rawBytes: MAGIC.length };
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

/** Packs frames (all for one queue) into as few message bodies as fit. */
export function packMessages(frames: WireFrame[], limits: WireLimits): string[] {
  return planMessages(frames, limits).map(({ frames: inMessage, rawBytes }) =>
    Buffer.concat([Buffer.from(MAGIC), ...inMessage.flatMap(encodeFrame)], rawBytes).toString('base64'));
}

function encodeFrame({ frame, claimChecked }: WireFrame): Buffer[] {
  const context = Buffer.from(frame.context);
  if (context.byteLength > MAX_CONTEXT_BYTES) throw new Error(`communicator context too long (${context.byteLength} bytes)`);
  const header = Buffer.allocUnsafe(FIXED_HEADER_BYTES - 4 + context.byteLength + 4);
  let at = 0;
  at = header.writeUInt8(KIND_CODE[frame.kind], at);
  at = header.writeUInt8(claimChecked ? FLAG_CLAIM_CHECK : 0, at);
  at = header.writeUInt32BE(frame.source, at);
  at = header.writeUInt32BE(frame.dest, at);
  at = header.writeUInt32BE(frame.seq, at);
  at = header.writeUInt32BE(frame.tag, at);
  at = header.writeUInt16BE(context.byteLength, at);
  at += context.copy(header, at);
  header.writeUInt32BE(frame.body.byteLength, at);
  if (claimChecked) return [header];
  return [header, Buffer.from(frame.body.buffer, frame.body.byteOffset, frame.body.byteLength)];
}

/** A frame read from a message; a claim-checked one still has to fetch its body (bodyLength bytes). */
export interface ParsedFrame {
  frame: ByteFrame;
  claimChecked: boolean;
  bodyLength: number;
}

export function unpackMessage(body: string): ParsedFrame[] {
  const bytes = Buffer.from(body, 'base64');
  if (bytes.byteLength < MAGIC.length || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new Error('not a lambda-mpi message (bad magic)');
  }
  const frames: ParsedFrame[] = [];
  let at = MAGIC.length;
  while (at < bytes.byteLength) {
    const kind = KIND_OF[bytes.readUInt8(at)];
    if (!kind) throw new Error(`unknown frame kind ${bytes.readUInt8(at)}`);
    const claimChecked = (bytes.readUInt8(at + 1) & FLAG_CLAIM_CHECK) !== 0;
    const source = bytes.readUInt32BE(at + 2);
    const dest = bytes.readUInt32BE(at + 6);
    const seq = bytes.readUInt32BE(at + 10);
    const tag = bytes.readUInt32BE(at + 14);
    const contextLength = bytes.readUInt16BE(at + 18);
    at += 20;
    const context = bytes.toString('utf8', at, at + contextLength);
    at += contextLength;
    const bodyLength = bytes.readUInt32BE(at);
    at += 4;
    let frameBody: Uint8Array = EMPTY;
    if (!claimChecked) {
      // Copy out: the body must not pin, or alias, the whole message buffer.
      frameBody = alignedCopy(bytes, at, bodyLength);
      at += bodyLength;
    }
    frames.push({ frame: { kind, source, dest, seq, tag, context, body: frameBody }, claimChecked, bodyLength });
  }
  return frames;
}

const EMPTY = new Uint8Array(0);

function alignedCopy(source: Buffer, start: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  out.set(source.subarray(start, start + length));
  return out;
}
