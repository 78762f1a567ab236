import { decodePayload, payloadSize, type Payload } from '../codec/codec.ts';
import { ANY_TAG, PROC_NULL } from '../constants.ts';
import type { Engine } from '../p2p/engine.ts';
import type { InboundMessage, MatchPattern, PostedReceive, ReceiveHandler } from '../p2p/matching.ts';
import {
  completeRequest, failRequest, startRequest, type Request, type RequestStatus, type Withdrawable,
} from '../p2p/request.ts';
import type { WaitDescription } from '../p2p/wait-description.ts';
import { STORED } from '../../transport/transport.ts';
import type { Group } from './group.ts';

/** Where a communicator's point-to-point requests live: its engine, its ranks, its context. */
export interface PointToPointSpace {
  readonly engine: Engine;
  readonly group: Group;
  readonly context: string;
}

/** What a receive from PROC_NULL reports (MPI: source PROC_NULL, tag ANY_TAG, count 0). */
export const PROC_NULL_STATUS: Readonly<RequestStatus> = Object.freeze({ source: PROC_NULL, tag: ANY_TAG, bytes: 0 });

/**
 * isend / issend: the send starts now (the value is already encoded, so the caller may reuse
 * its buffers); the request completes when the transport stored the message, or for
 * `synchronous` when a receive took it. A transport that stored it as it returned (STORED)
 * completes the request at once: its wait then neither blocks nor takes a turn.
 */
export function startSend(space: PointToPointSpace, payload: Payload, dest: number, tag: number, synchronous: boolean): Request<undefined> {
  const operation = synchronous ? 'issend' : 'isend';
  const world = space.group.world(dest);
  const shown: WaitDescription = { operation, source: dest, tag, peer: world };
  const sending = synchronous
    ? space.engine.sendSynchronous(space.context, world, tag, payload)
    : space.engine.sendData(space.context, world, tag, payload);
  const request = startRequest<undefined>('send', space.engine, shown);
  if (sending === STORED) completeRequest(request, undefined);
  else sending.then(() => completeRequest(request, undefined), (error: unknown) => failRequest(request, error));
  return request;
}

/** A send to PROC_NULL: done at once, nothing sent. */
export function nullSend(space: PointToPointSpace, dest: number, tag: number, synchronous: boolean): Request<undefined> {
  const request = startRequest<undefined>('send', space.engine, { operation: synchronous ? 'issend' : 'isend', source: dest, tag });
  completeRequest(request, undefined);
  return request;
}

/** irecv: posts a receive on the engine's posted list, in order with blocking receives. */
export function startReceive<T>(space: PointToPointSpace, pattern: MatchPattern, source: number, tag: number): Request<T> {
  const receive = new PostedIrecv<T>(space);
  receive.request = startRequest<T>('receive', space.engine, { operation: 'irecv', source, tag, peer: pattern.source }, receive);
  receive.posted = space.engine.postReceive(pattern, receive);
  return receive.request;
}

/** A receive from PROC_NULL: done at once with no value. */
export function nullReceive<T>(space: PointToPointSpace, tag: number): Request<T> {
  const request = startRequest<T>('receive', space.engine, { operation: 'irecv', source: PROC_NULL, tag });
  completeRequest(request, undefined, { ...PROC_NULL_STATUS });
  return request;
}

/**
 * The engine's side of one posted nonblocking receive (irecv, irecvInto): `matched` completes its
 * request when a message matches; it fails when the rank is stopped, and `cancel` withdraws it.
 */
export abstract class PostedRequest<T> implements ReceiveHandler, Withdrawable {
  request!: Request<T>;
  posted: PostedReceive | undefined;

  constructor(protected readonly space: PointToPointSpace) {}

  abstract matched(message: InboundMessage): void;

  failed(error: unknown): void {
    this.posted = undefined;
    failRequest(this.request, error);
  }

  withdraw(): boolean {
    const posted = this.posted;
    this.posted = undefined;
    return posted !== undefined && this.space.engine.withdraw(posted);
  }
}

/** irecv's: decodes the message when it matches, so `test()` can answer synchronously. */
class PostedIrecv<T> extends PostedRequest<T> {
  matched(message: InboundMessage): void {
    this.posted = undefined;
    let value: T;
    try {
      value = decodePayload(message.body) as T;
    } catch (error) {
      failRequest(this.request, error);
      return;
    }
    // Measuring an in-process value's bytes means encoding it: only when the program asks.
    const { space } = this;
    completeRequest(this.request, value, () => ({ source: space.group.local(message.source)!, tag: message.tag, bytes: payloadSize(message.body) }));
  }
}
