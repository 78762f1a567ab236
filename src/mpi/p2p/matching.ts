import type { Payload } from '../codec/codec.ts';
import { ANY_SOURCE, ANY_TAG } from '../constants.ts';

/** A message that arrived in order and awaits (or got) a matching receive. */
export interface InboundMessage {
  context: string;
  /** World rank of the sender. */
  source: number;
  tag: number;
  body: Payload;
  /**
   * Set on a synchronous-mode message (issend): the id its sender waits to hear back under once
   * a receive has taken the message.
   */
  ackId?: number;
}

/** Messages from one sender on one context and tag that no receive took. */
export interface UnreceivedCount {
  /** World rank of the sender. */
  source: number;
  context: string;
  tag: number;
  count: number;
}

/** What a receive or probe asks for; source is a world rank or ANY_SOURCE. */
export interface MatchPattern {
  context: string;
  source: number;
  tag: number;
}

export function matches(pattern: MatchPattern, message: InboundMessage): boolean {
  return (
    pattern.context === message.context &&
    (pattern.source === ANY_SOURCE || pattern.source === message.source) &&
    (pattern.tag === ANY_TAG || pattern.tag === message.tag)
  );
}

interface Node {
  message: InboundMessage;
  prev: Node | undefined;
  next: Node | undefined;
}

/**
 * Messages that arrived before a matching receive was posted, in arrival order. A linked list:
 * a receive takes the first match, usually the head, in O(1) even with thousands waiting.
 */
export class UnexpectedQueue {
  private head: Node | undefined;
  private tail: Node | undefined;
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(message: InboundMessage): void {
    const node: Node = { message, prev: this.tail, next: undefined };
    if (this.tail) this.tail.next = node;
    else this.head = node;
    this.tail = node;
    this.count++;
  }

  find(pattern: MatchPattern): InboundMessage | undefined {
    return this.findNode(pattern)?.message;
  }

  take(pattern: MatchPattern): InboundMessage | undefined {
    const node = this.findNode(pattern);
    if (!node) return undefined;
    if (node.prev) node.prev.next = node.next;
    else this.head = node.next;
    if (node.next) node.next.prev = node.prev;
    else this.tail = node.prev;
    this.count--;
    return node.message;
  }

  /** The messages waiting, in arrival order. */
  *messages(): IterableIterator<InboundMessage> {
    for (let node = this.head; node; node = node.next) yield node.message;
  }

  /** What the queue holds, counted by sender, context and tag, in order of first arrival. */
  counts(): UnreceivedCount[] {
    const byKey = new Map<string, UnreceivedCount>();
    for (let node = this.head; node; node = node.next) {
      const { source, context, tag } = node.message;
      const key = `${source} ${tag} ${context}`;
      const entry = byKey.get(key);
      if (entry) entry.count++;
      else byKey.set(key, { source, context, tag, count: 1 });
    }
    return [...byKey.values()];
  }

  clear(): void {
    this.head = this.tail = undefined;
    this.count = 0;
  }

  private findNode(pattern: MatchPattern): Node | undefined {
    for (let node = this.head; node; node = node.next) {
      if (matches(pattern, node.message)) return node;
    }
    return undefined;
  }
}

/** Told what became of a posted receive. */
export interface ReceiveHandler {
  /** A message matched: a receive took it, or a probe found it (and left it in place). */
  matched(message: InboundMessage): void;
  /** The rank was stopped (the job aborted) before any message matched. */
  failed(error: unknown): void;
}

/** A receive (or probe) waiting for its message; a node of the posted list. */
export interface PostedReceive {
  readonly pattern: MatchPattern;
  /** A probe leaves the message in place for a later receive. */
  readonly consume: boolean;
  readonly handler: ReceiveHandler;
  prev: PostedReceive | undefined;
  next: PostedReceive | undefined;
  /** Still in the list: not matched, withdrawn or failed yet. */
  listed: boolean;
}

/**
 * Receives posted and not yet matched, in the order they were posted (MPICH's posted queue). A
 * message goes to the first one that matches, so receives posted in order match in order. A
 * linked list: taking the head, or withdrawing any one receive (cancel), is O(1) with
 * thousands posted.
 */
export class PostedQueue {
  private head: PostedReceive | undefined;
  private tail: PostedReceive | undefined;
  private count = 0;

  get length(): number {
    return this.count;
  }

  get first(): PostedReceive | undefined {
    return this.head;
  }

  push(pattern: MatchPattern, consume: boolean, handler: ReceiveHandler): PostedReceive {
    const node: PostedReceive = { pattern, consume, handler, prev: this.tail, next: undefined, listed: true };
    if (this.tail) this.tail.next = node;
    else this.head = node;
    this.tail = node;
    this.count++;
    return node;
  }

  remove(node: PostedReceive): void {
    if (!node.listed) return;
    node.listed = false;
    if (node.prev) node.prev.next = node.next;
    else this.head = node.next;
    if (node.next) node.next.prev = node.prev;
    else this.tail = node.prev;
    node.prev = node.next = undefined;
    this.count--;
  }

  /** Empties the list and hands back what it held, in order. */
  drain(): PostedReceive[] {
    const all: PostedReceive[] = [];
    for (let node = this.head; node; node = node.next) {
      node.listed = false;
      all.push(node);
    }
    this.head = this.tail = undefined;
    this.count = 0;
    return all;
  }
}
