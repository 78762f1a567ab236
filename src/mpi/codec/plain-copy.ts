/** What copyPlainData answers for a value that is not plain data, or too large to walk. */
export const NOT_PLAIN: unique symbol = Symbol('not plain data');

const BUDGET = 256;

/**
 * A deep copy of plain data — primitives other than symbols, and plain objects and arrays of
 * them — exactly as structuredClone makes it (shared and cyclic references stay shared and
 * cyclic), or NOT_PLAIN as soon as anything else shows up or the value has more than a few
 * hundred parts. Small plain messages are the common case between ranks of one thread, and
 * structuredClone goes through a MessagePort in Node 20: a copy in JavaScript takes a fraction
 * of its time (bench case memory.pingpong-object.np2).
 */
export function copyPlainData(root: object): unknown {
  const state = { budget: BUDGET, seen: new Map<object, unknown>() };
  return copy(root, state);
}

function copy(value: unknown, state: { budget: number; seen: Map<object, unknown> }): unknown {
  if (value === null) return null;
  const kind = typeof value;
  if (kind !== 'object') return kind === 'function' || kind === 'symbol' ? NOT_PLAIN : value;
  if (--state.budget < 0) return NOT_PLAIN;
  const object = value as Record<string, unknown>;
  const known = state.seen.get(object);
  if (known !== undefined) return known;
  const prototype = Object.getPrototypeOf(object);
  let out: Record<string, unknown>;
  if (prototype === Array.prototype && Array.isArray(object)) out = new Array((object as unknown as unknown[]).length) as unknown as Record<string, unknown>;
  else if (prototype === Object.prototype || prototype === null) out = {};
  else return NOT_PLAIN;
  state.seen.set(object, out);
  for (const key of Object.keys(object)) {
    // Assigning "__proto__" would set the copy's prototype instead of making a property.
    if (key === '__proto__') return NOT_PLAIN;
    const part = copy(object[key], state);
    if (part === NOT_PLAIN) return NOT_PLAIN;
    out[key] = part;
  }
  return out;
}
