/**
 * The one result-to-JSON mapping: rank 0's answer and the job's record on a stage (hence HTTP and
 * `sls invoke`), and `--result` on every placement. Results leave Lambda as JSON. Values JSON cannot say are mapped to the nearest thing it can:
 * TypedArrays to arrays of numbers, bigints to decimal strings, Map to an object (or an array of
 * entries when keys are not strings), Set to an array, binary to base64, Error to its fields.
 */
export function toJsonSafe(value: unknown, seen = new Set<unknown>()): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return value.toString();
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  try {
    if (value instanceof Date) return value.toISOString();
    if (value instanceof Error) return { name: value.name, message: value.message };
    if (Buffer.isBuffer(value)) return value.toString('base64');
    if (value instanceof ArrayBuffer) return Buffer.from(value).toString('base64');
    if (value instanceof DataView) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
    if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number | bigint>, (x) => toJsonSafe(x, seen));
    if (Array.isArray(value)) return value.map((x) => toJsonSafe(x, seen) ?? null);
    if (value instanceof Set) return [...value].map((x) => toJsonSafe(x, seen) ?? null);
    if (value instanceof Map) {
      const entries = [...value];
      if (entries.every(([k]) => typeof k === 'string')) return Object.fromEntries(entries.map(([k, v]) => [k, toJsonSafe(v, seen)]));
      return entries.map(([k, v]) => [toJsonSafe(k, seen), toJsonSafe(v, seen)]);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as object)) {
      const safe = toJsonSafe(v, seen);
      if (safe !== undefined) out[k] = safe;
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

/**
 * A job's result as `--result` prints it, the same whether the job ran here or on a stage (whose
 * record holds the result already mapped by toJsonSafe, which maps its own output unchanged):
 * bigints as decimal strings, TypedArrays as arrays, and `null` when rank 0 returned nothing.
 */
export function resultJson(result: unknown): string {
  return JSON.stringify(toJsonSafe(result) ?? null);
}
