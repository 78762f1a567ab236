import { recycle } from '../codec/buffer-pool.ts';
import { LentView, PrivateCopy, typedArrayBytes, type Payload } from '../codec/codec.ts';
import { InvalidArgumentError } from '../errors.ts';
import type { InboundMessage, MatchPattern } from '../p2p/matching.ts';
import { completeRequest, failRequest, startRequest, type Request } from '../p2p/request.ts';
import { ANY_TAG, PROC_NULL } from '../constants.ts';
import { PROC_NULL_STATUS, PostedRequest, type PointToPointSpace } from './nonblocking.ts';
import { elementTypeOf, refusal, type TypedArray } from './vector-arguments.ts';

/** What a receive into a caller's buffer reports: the message's source, tag and element count. */
export interface ReceivedInto {
  source: number;
  tag: number;
  /** Elements written to the front of the buffer; the rest of it is left as it was. */
  count: number;
}

/**
 * Copies the message's TypedArray into `buf`, once, from the bytes the engine holds (the
 * sender's encoding or, in one process, its clone): nothing is decoded into an array of its own
 * first. A message of another element type, or one longer than `buf` (MPI_ERR_TRUNCATE), is an
 * InvalidArgumentError naming `buf`; the message is consumed either way, as in MPI.
 */
export function fillFrom(message: InboundMessage, source: number, buf: TypedArray): ReceivedInto {
  const found = typedArrayBytes(message.body);
  const type = elementTypeOf(buf)!;
  if (!found || found.type !== (type as unknown)) {
    const from = messageFrom(source, message.tag);
    if (!found) throw refusal('buf', buf, 'a TypedArray of the message\'s element type', `${from} is not a TypedArray: recvInto takes only TypedArray messages, recv takes any`);
    throw refusal('buf', buf, `a ${found.type.name} like the message`, `it is a ${type.name}, and ${from} holds a ${found.type.name}`);
  }
  const count = found.byteLength / type.BYTES_PER_ELEMENT;
  if (count > buf.length) {
    const from = messageFrom(source, message.tag);
    throw refusal('buf', buf, `a ${type.name} with room for the message's ${count} elements`,
      `MPI_ERR_TRUNCATE: it holds ${buf.length} elements, fewer than the ${count} of ${from}`);
  }
  if (found.raw) new Uint8Array(buf.buffer, buf.byteOffset, found.byteLength).set(found.elements as Uint8Array);
  else (buf as Uint8Array).set(found.elements as Uint8Array); // the same element type: a plain copy
  release(message.body);
  return { source, tag: message.tag, count };
}

/** Built only when a receive is refused: a matched receive builds no text. */
function messageFrom(source: number, tag: number): string {
  return `the message from rank ${source} (tag ${tag})`;
}

/** A frame (or an in-process copy) this rank alone holds, once copied out: its memory serves later encodes. */
function release(body: Payload): void {
  if (body instanceof Uint8Array) recycle(body);
  else if (body instanceof PrivateCopy) recycle(body.value);
  else if (body instanceof LentView) body.consumed();
}

export function assertReceiveBuffer(buf: unknown): asserts buf is TypedArray {
  if (elementTypeOf(buf) === undefined) {
    throw new InvalidArgumentError('buf', buf, 'a TypedArray to receive into (Int8Array … Float64Array, BigInt64Array, BigUint64Array; not a DataView)');
  }
}

/** An irecvInto from PROC_NULL: done at once, nothing written (MPI: source PROC_NULL, tag ANY_TAG, count 0). */
export function nullReceiveInto(space: PointToPointSpace, tag: number): Request<ReceivedInto> {
  const request = startRequest<ReceivedInto>('receive', space.engine, { operation: 'irecvInto', source: PROC_NULL, tag });
  completeRequest(request, { source: PROC_NULL, tag: ANY_TAG, count: 0 }, { ...PROC_NULL_STATUS });
  return request;
}

/** irecvInto: a posted receive that fills `buf` when its message matches. */
export function startReceiveInto(space: PointToPointSpace, pattern: MatchPattern, buf: TypedArray, source: number, tag: number): Request<ReceivedInto> {
  const receive = new PostedReceiveInto(space, buf);
  receive.request = startRequest<ReceivedInto>('receive', space.engine, { operation: 'irecvInto', source, tag }, receive);
  receive.posted = space.engine.postReceive(pattern, receive);
  return receive.request;
}

/** irecvInto's: copies the message into `buf` when it matches. */
class PostedReceiveInto extends PostedRequest<ReceivedInto> {
  constructor(space: PointToPointSpace, private readonly buf: TypedArray) {
    super(space);
  }

  matched(message: InboundMessage): void {
    this.posted = undefined;
    let received: ReceivedInto;
    try {
      received = fillFrom(message, this.space.group.local(message.source)!, this.buf);
    } catch (error) {
      failRequest(this.request, error);
      return;
    }
    completeRequest(this.request, received, { source: received.source, tag: received.tag, bytes: received.count * this.buf.BYTES_PER_ELEMENT });
  }
}
