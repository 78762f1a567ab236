/**
 * What anyone who can read a job's queue sees of a message without the job's key: the frames'
 * headers (the format is public: src/transport/aws/wire.ts). Tests use it to pick messages to
 * delay, replay or truncate, as an attacker would; the transport itself never parses a message
 * before its MAC is checked.
 */
export interface PeekedFrame {
  kind: 'data' | 'ctrl';
  claimChecked: boolean;
  source: number;
  dest: number;
  seq: number;
  tag: number;
  context: string;
  bodyLength: number;
}

const PREAMBLE_BYTES = 3 + 32;
const DIGEST_BYTES = 32;

export function peekFrames(body: string): PeekedFrame[] {
  const bytes = Buffer.from(body, 'base64');
  const frames: PeekedFrame[] = [];
  let at = PREAMBLE_BYTES;
  while (at + 24 <= bytes.byteLength) {
    const claimChecked = (bytes[at + 1]! & 1) !== 0;
    const contextLength = bytes.readUInt16BE(at + 18);
    const context = bytes.toString('utf8', at + 20, at + 20 + contextLength);
    const bodyLength = bytes.readUInt32BE(at + 20 + contextLength);
    frames.push({
      kind: bytes[at] === 0 ? 'data' : 'ctrl',
      claimChecked,
      source: bytes.readUInt32BE(at + 2),
      dest: bytes.readUInt32BE(at + 6),
      seq: bytes.readUInt32BE(at + 10),
      tag: bytes.readUInt32BE(at + 14),
      context,
      bodyLength,
    });
    at += 24 + contextLength + (claimChecked ? DIGEST_BYTES : bodyLength);
  }
  return frames;
}
