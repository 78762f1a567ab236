import { InvalidArgumentError, describeValue } from '../errors.ts';
import type { WaitDescription } from './wait-description.ts';

/** What a completed receive got: its communicator's source rank, its tag, its payload's bytes. */
export interface RequestStatus {
  source: number;
  tag: number;
  bytes: number;
}

/** Whose wait state a request's wait joins (the engine: what the rank is blocked on). */
export interface WaitStates {
  beginWait(shown: WaitDescription): void;
  endWait(shown: WaitDescription): void;
}

/** A posted receive that can still be taken back (cancel). */
export interface Withdrawable {
  withdraw(): boolean;
}

/**
 * What a request does: a send (cannot be cancelled), a receive (can, until matched), or an
 * operation made of several messages (a nonblocking collective's schedule).
 */
export type RequestKind = 'send' | 'receive' | 'operation';

type Outcome = 'pending' | 'completed' | 'failed' | 'cancelled';

/** The answer of a synchronous test. */
export type TestResult<T> = { done: false } | { done: true; value: T | undefined };

/**
 * Hears one request's completion. One function may watch many requests (a waitall over 10,000
 * of them registers one counter, not 10,000 closures).
 */
type Watcher = () => void;

/** Completion order across all requests of this thread: waitany and waitsome report in it. */
let completions = 0;

const INTERNAL: unique symbol = Symbol('lambda-mpi.request');

/** A status, or how to work it out when first asked (measuring a payload's bytes may cost an encoding). */
export type StatusOf = RequestStatus | (() => RequestStatus);

let complete: <T>(request: Request<T>, value: T | undefined, status?: StatusOf) => void;
let fail: (request: Request, error: unknown) => void;
let make: <T>(kind: RequestKind, waits: WaitStates, shown: WaitDescription, withdrawable?: Withdrawable) => Request<T>;
let watchSettled: (request: Request<any>, watcher: Watcher) => void;

/**
 * A nonblocking operation in progress (MPI_Request): made by `isend`, `issend`, `irecv` and the
 * nonblocking collectives (`ibarrier` … `iexscan`);
 * completed by the engine as its messages move, whether or not the program waits.
 *
 * Once the program has been told a request completed (by `wait`, a `test` that says done, or
 * any of the static calls that return it), the request is spent, as MPI's completed request
 * becomes MPI_REQUEST_NULL: waiting or testing it again is an InvalidArgumentError, and
 * `waitany`/`waitsome`/`testany` pass over it.
 *
 * Not a thenable: returning one from an async function hands over the request, not its value.
 * Its outcome is held as data until asked for, so a request the program never waits cannot
 * raise an unhandled rejection (e.g. when the job aborts while an irecv is posted).
 */
export class Request<T = unknown> {
  readonly #kind: RequestKind;
  readonly #waits: WaitStates;
  readonly #shown: WaitDescription;
  #withdrawable: Withdrawable | undefined;
  #outcome: Outcome = 'pending';
  #value: T | undefined;
  #error: unknown;
  #status: StatusOf | undefined;
  #completedAs = 0;
  /** The program has been told of its completion: the request is spent. */
  #reported = false;
  /** A wait call is waiting on it (it is part of what the rank is blocked on). */
  #blocking = false;
  #watchers: Watcher | Watcher[] | undefined;

  static {
    make = (kind, waits, shown, withdrawable) => {
      const request = new Request<any>(INTERNAL, kind, waits, shown);
      request.#withdrawable = withdrawable;
      return request;
    };
    complete = (request, value, status) => {
      if (request.#outcome !== 'pending') return;
      request.#value = value;
      request.#status = status;
      request.#settle('completed');
    };
    fail = (request, error) => {
      if (request.#outcome !== 'pending') return;
      request.#error = error;
      request.#settle('failed');
    };
    watchSettled = (request, watcher) => {
      if (request.#outcome !== 'pending') watcher();
      else request.#watch(watcher);
    };
  }

  /** @internal Requests are made by a communicator's isend, issend, irecv and nonblocking collectives. */
  constructor(token: typeof INTERNAL, kind: RequestKind, waits: WaitStates, shown: WaitDescription) {
    if (token !== INTERNAL) throw new TypeError('a Request is made by comm.isend, comm.issend, comm.irecv or a nonblocking collective (comm.ibcast …)');
    this.#kind = kind;
    this.#waits = waits;
    this.#shown = shown;
  }

  /** True once the request completed, successfully or not, or was cancelled. */
  get completed(): boolean {
    return this.#outcome !== 'pending';
  }

  /** True when `cancel()` withdrew the receive before a message matched it. */
  get cancelled(): boolean {
    return this.#outcome === 'cancelled';
  }

  /** A completed receive's source (a rank of its communicator), tag and payload bytes; otherwise undefined. */
  get status(): RequestStatus | undefined {
    if (typeof this.#status === 'function') this.#status = this.#status();
    return this.#status;
  }

  /** Resolves to the received value (`undefined` for a send or a cancelled receive). */
  async wait(): Promise<T | undefined> {
    this.#claim('request', 'wait()');
    if (this.#outcome === 'pending') {
      // The common case, kept free of closures: the promise's own resolve is the watcher.
      this.#block(true);
      await new Promise<void>((resolve) => this.#watch(resolve));
    }
    return this.#result();
  }

  /** Synchronous: whether the request has completed, and its value if so (then the request is spent). */
  test(): TestResult<T> {
    this.#assertUnreported('request', 'test()');
    if (this.#outcome === 'pending') return { done: false };
    this.#reported = true;
    return { done: true, value: this.#result() };
  }

  /**
   * Withdraws a receive that no message has matched yet: its wait then resolves to undefined and
   * `cancelled` is true. A receive already matched completes as usual. A send cannot be withdrawn.
   */
  cancel(): void {
    if (this.#kind !== 'receive') {
      throw new InvalidArgumentError('request', this, 'a receive request (from irecv)', `cannot be cancelled: it is ${this.#kind === 'send' ? 'a send' : 'a collective'} request, and only a receive not yet matched can be withdrawn`);
    }
    if (this.#outcome !== 'pending' || !this.#withdrawable?.withdraw()) return;
    this.#settle('cancelled');
  }

  // ---- many requests at once (MPI_Waitall and friends) ----

  /** Resolves to every request's value, in the order of `requests`. */
  static async waitall<T>(requests: readonly Request<T>[]): Promise<Array<T | undefined>> {
    Request.#assertRequests(requests);
    for (const request of requests) request.#assertUnreported('requests', 'Request.waitall()');
    for (const request of requests) request.#reported = true;
    const pending = requests.filter((request) => request.#outcome === 'pending');
    if (pending.length > 0) await Request.#waitFor(pending, pending.length);
    return requests.map((request) => request.#result());
  }

  /**
   * Waits for one request to complete: the one that completed first among those not yet
   * reported. `index` is undefined when every request was already reported (MPI_UNDEFINED).
   */
  static async waitany<T>(requests: readonly Request<T>[]): Promise<{ index: number | undefined; value: T | undefined }> {
    Request.#assertRequests(requests);
    const active = requests.filter((request) => !request.#reported);
    if (active.length === 0) return { index: undefined, value: undefined };
    if (!active.some((request) => request.#outcome !== 'pending')) await Request.#waitFor(active, 1);
    const first = Request.#inCompletionOrder(active)[0]!;
    first.#reported = true;
    return { index: requests.indexOf(first), value: first.#result() };
  }

  /**
   * Waits for at least one request to complete; reports every request completed by then (among
   * those not yet reported), in the order they completed. Empty when none was left to report.
   */
  static async waitsome<T>(requests: readonly Request<T>[]): Promise<{ indices: number[]; values: Array<T | undefined> }> {
    Request.#assertRequests(requests);
    const active = requests.filter((request) => !request.#reported);
    if (active.length === 0) return { indices: [], values: [] };
    if (!active.some((request) => request.#outcome !== 'pending')) await Request.#waitFor(active, 1);
    return Request.#report(requests, Request.#inCompletionOrder(active));
  }

  /** Synchronous: `{ done: true, values }` once every request has completed (then all are spent), else `{ done: false }`. */
  static testall<T>(requests: readonly Request<T>[]): { done: boolean; values?: Array<T | undefined> } {
    Request.#assertRequests(requests);
    for (const request of requests) request.#assertUnreported('requests', 'Request.testall()');
    if (requests.some((request) => request.#outcome === 'pending')) return { done: false };
    for (const request of requests) request.#reported = true;
    return { done: true, values: requests.map((request) => request.#result()) };
  }

  /**
   * Synchronous: the request that completed first among those not yet reported, or undefined when
   * none has; `index` is undefined when every request was already reported.
   */
  static testany<T>(requests: readonly Request<T>[]): { index: number | undefined; value: T | undefined } | undefined {
    Request.#assertRequests(requests);
    const active = requests.filter((request) => !request.#reported);
    if (active.length === 0) return { index: undefined, value: undefined };
    const first = Request.#inCompletionOrder(active)[0];
    if (!first) return undefined;
    first.#reported = true;
    return { index: requests.indexOf(first), value: first.#result() };
  }

  // ---- internals ----

  /**
   * Resolves once `count` of `requests` (all pending) have settled; meanwhile they are what the
   * rank is blocked on. Never rejects: each request holds its own outcome. One watcher serves
   * them all.
   */
  static #waitFor(requests: readonly Request<any>[], count: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let left = count;
      const watcher: Watcher = () => {
        if (--left > 0) return;
        for (const request of requests) {
          request.#unwatch(watcher);
          request.#block(false);
        }
        resolve();
      };
      for (const request of requests) {
        request.#block(true);
        request.#watch(watcher);
      }
    });
  }

  /** The settled ones of `requests`, earliest completion first. */
  static #inCompletionOrder<T>(requests: readonly Request<T>[]): Request<T>[] {
    return requests.filter((request) => request.#outcome !== 'pending').sort((a, b) => a.#completedAs - b.#completedAs);
  }

  /** Marks `settled` reported and gives their indices and values; a failure among them is thrown. */
  static #report<T>(requests: readonly Request<T>[], settled: readonly Request<T>[]): { indices: number[]; values: Array<T | undefined> } {
    for (const request of settled) request.#reported = true;
    return { indices: settled.map((request) => requests.indexOf(request)), values: settled.map((request) => request.#result()) };
  }

  static #assertRequests(requests: unknown): asserts requests is readonly Request<any>[] {
    if (!Array.isArray(requests) || !requests.every(Request.#isRequest)) {
      throw new InvalidArgumentError('requests', requests, 'an array of Requests (from isend, issend or irecv)',
        Array.isArray(requests) ? `must hold only Requests, and holds ${describeValue(requests.find((request) => !Request.#isRequest(request)))}` : undefined);
    }
  }

  static #isRequest(value: unknown): boolean {
    return typeof value === 'object' && value !== null && #outcome in value;
  }

  #block(on: boolean): void {
    if (on === this.#blocking || (on && this.#outcome !== 'pending')) return;
    this.#blocking = on;
    if (on) this.#waits.beginWait(this.#shown);
    else this.#waits.endWait(this.#shown);
  }

  #claim(argument: string, call: string): void {
    this.#assertUnreported(argument, call);
    this.#reported = true;
  }

  #assertUnreported(argument: string, call: string): void {
    if (this.#reported) {
      throw new InvalidArgumentError(argument, this, 'requests whose completion was not reported yet',
        `holds a request already waited or tested to completion (a completed request is spent, as MPI_REQUEST_NULL), passed to ${call}`);
    }
  }

  #result(): T | undefined {
    if (this.#outcome === 'failed') throw this.#error;
    return this.#value;
  }

  #settle(outcome: Outcome): void {
    this.#outcome = outcome;
    this.#completedAs = ++completions;
    this.#withdrawable = undefined;
    if (this.#blocking) {
      this.#blocking = false;
      this.#waits.endWait(this.#shown);
    }
    const watchers = this.#watchers;
    this.#watchers = undefined;
    if (typeof watchers === 'function') watchers();
    else if (watchers) for (const watcher of watchers) watcher();
  }

  #watch(watcher: Watcher): void {
    const watchers = this.#watchers;
    if (watchers === undefined) this.#watchers = watcher;
    else if (typeof watchers === 'function') this.#watchers = [watchers, watcher];
    else watchers.push(watcher);
  }

  #unwatch(watcher: Watcher): void {
    const watchers = this.#watchers;
    if (watchers === watcher) this.#watchers = undefined;
    else if (Array.isArray(watchers)) {
      const at = watchers.indexOf(watcher);
      if (at >= 0) watchers.splice(at, 1);
    }
  }
}

/** A request in progress, for the code that starts operations (Comm); not part of the public API. */
export function startRequest<T>(kind: RequestKind, waits: WaitStates, shown: WaitDescription, withdrawable?: Withdrawable): Request<T> {
  return make<T>(kind, waits, shown, withdrawable);
}

export function completeRequest<T>(request: Request<T>, value: T | undefined, status?: StatusOf): void {
  complete(request, value, status);
}

export function failRequest(request: Request, error: unknown): void {
  fail(request, error);
}

/** A request that settles with `operation`: a nonblocking collective's schedule (sends build theirs in startSend, to see STORED). */
export function requestFor<T>(kind: RequestKind, waits: WaitStates, shown: WaitDescription, operation: Promise<T>): Request<T> {
  const request = make<T>(kind, waits, shown);
  operation.then((value) => complete(request, value), (error: unknown) => fail(request, error));
  return request;
}

/**
 * Calls `then` once `request` has settled (at once if it has), without waiting on it: the request
 * is neither spent nor counted as what its rank is blocked on (the model times calls with it).
 */
export function whenSettled(request: Request<any>, then: () => void): void {
  watchSettled(request, then);
}
