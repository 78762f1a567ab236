import v8 from 'node:v8';
import {
  CollectiveMismatchError, ConfigurationError, InvalidArgumentError, JobAbortedError, JobCancelledError, JobTimeoutError, LambdaMpiError,
  ProgramBuildError, RankFailedError, TransportError, describeValue,
} from '../../mpi/errors.ts';
import { DeadlockError } from '../../mpi/deadlock-error.ts';

/** An error on its way between threads: its class by name, and its own fields as plain data. */
export interface WireError {
  name: string;
  message: string;
  stack?: string;
  fields: Record<string, unknown>;
}

/** The classes an error is rebuilt as on the other side, so `instanceof` and the fields hold there. */
const CLASSES: Record<string, new (...args: never[]) => Error> = {
  LambdaMpiError, InvalidArgumentError, ProgramBuildError, RankFailedError, JobAbortedError, JobTimeoutError, JobCancelledError,
  TransportError, ConfigurationError, DeadlockError, CollectiveMismatchError, Error, TypeError, RangeError, SyntaxError, ReferenceError,
};

export function toWire(error: unknown): WireError {
  if (!(error instanceof Error)) return { name: 'Error', message: `a non-Error was thrown: ${describeValue(error)}`, fields: {} };
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error)) {
    try {
      v8.serialize(value);
      fields[key] = value;
    } catch {
      // A field that cannot travel (a function in an InvalidArgumentError's value) travels as its description.
      fields[key] = describeValue(value);
    }
  }
  return { name: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}), fields };
}

/** The error again, of the same class when it is one of ours or a built-in, with every field. */
export function fromWire(wire: WireError, mapStack: (stack: string) => string = (stack) => stack): Error {
  const cls = CLASSES[wire.name] ?? Error;
  const error = Object.create(cls.prototype) as Error & Record<string, unknown>;
  Object.defineProperty(error, 'message', { value: wire.message, writable: true, configurable: true });
  if (wire.stack) Object.defineProperty(error, 'stack', { value: mapStack(wire.stack), writable: true, configurable: true });
  Object.assign(error, wire.fields);
  if (!(error instanceof LambdaMpiError) && cls === Error && wire.name !== 'Error') {
    Object.defineProperty(error, 'name', { value: wire.name, writable: true, configurable: true });
  }
  const remote = error.remote as { stack?: string } | undefined;
  if (error instanceof RankFailedError && remote?.stack) error.remote.stack = mapStack(remote.stack);
  return error;
}
