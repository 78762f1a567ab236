import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';

/**
 * A GET's body as bytes when its length is known before the first byte: one buffer of that
 * length, each chunk copied in as it arrives and then let go. The SDK's transformToByteArray
 * keeps every chunk until the body ends and then copies them all into a fresh array, so a rank
 * holds its share twice at that moment: on a Lambda function, whose memory is its limit, a share
 * of half the function's memory could not be read. A body that is not a Node stream (another
 * runtime's fetch body) is read the SDK's way.
 *
 * `expected` is what the caller asked for; a body of another length is reported by what it holds
 * (the caller names the mismatch), never silently cut or padded.
 */
export async function bodyBytes(body: { transformToByteArray(): Promise<Uint8Array> }, expected: number): Promise<Uint8Array> {
  if (!(body instanceof Readable)) return body.transformToByteArray();
  const out = uninitializedBytes(expected);
  let filled = 0;
  let overflow: Uint8Array[] | undefined;
  body.on('data', (chunk: Uint8Array) => {
    if (overflow || filled + chunk.length > expected) (overflow ??= [out.slice(0, filled)]).push(chunk);
    else out.set(chunk, filled);
    filled += chunk.length;
  });
  // Rejects on an error or a connection closed before the body's end.
  await finished(body);
  if (overflow) {
    const joined = Buffer.concat(overflow);
    return new Uint8Array(joined.buffer, joined.byteOffset, joined.length);
  }
  return filled === expected ? out : out.subarray(0, filled);
}

/** A plain Uint8Array (not a Buffer, whose slice() is a view) whose bytes are all about to be written. */
function uninitializedBytes(length: number): Uint8Array {
  const buffer = Buffer.allocUnsafeSlow(length);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, length);
}
