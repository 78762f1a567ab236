import type { Payload } from '../codec/codec.ts';
import { ANY_SOURCE, ANY_TAG } from '../constants.ts';

/** A message that arrived in order and awaits (or got) a matching receive. */
export interface InboundMessage {
  context: string;
  /** World rank of the sender. */
  source: number;
  tag: number;
  body: Payload;
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
