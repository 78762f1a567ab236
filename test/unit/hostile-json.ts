/**
 * Hostile JSON request bodies, generated deterministically as text: each field of a job request
 * (and unknown fields) set to values that trip code which describes or inspects them carelessly:
 * keys named for Object.prototype's members (constructor, toString, valueOf, __proto__, toJSON),
 * numbers JSON turns into Infinity, lone surrogates, deep nesting, huge arrays.
 */
export const REQUEST_FIELDS = ['program', 'size', 'input', 'timeoutSeconds', 'waitSeconds', 'trace'];
const UNKNOWN_FIELDS = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', 'then', 'nope'];
const PROTOTYPE_KEYS = ['constructor', 'toString', 'valueOf', '__proto__', 'toJSON', 'hasOwnProperty', 'name', 'length', 'then', 'prototype'];

const ATOMS = [
  'null', 'true', 'false', '0', '-1', '1.5', '2', '1e999', '-1e999', '9007199254740993', '""', '"pi"', '"sha256:"',
  `"sha256:${'g'.repeat(64)}"`, `"sha256:${'a'.repeat(64)}"`, '"\\ud800"', '"__proto__"', `"${'x'.repeat(10_000)}"`,
];

/** Hostile JSON values, as text. */
export function hostileValues(): string[] {
  const values = [...ATOMS, '{}', '[]'];
  for (const key of PROTOTYPE_KEYS) {
    for (const inner of ['1', 'null', '"x"', '{}', '[]', '{"toString":1}', '{"name":{"toString":1}}', '{"valueOf":{},"toString":{}}']) {
      values.push(`{${JSON.stringify(key)}:${inner}}`);
    }
  }
  values.push('{"constructor":{"name":{"toString":1}}}', '{"__proto__":{"constructor":{"name":{"valueOf":1}}}}', '[{"constructor":{"name":{"toString":1}}}]');
  values.push(`[${new Array(100_000).fill('0').join(',')}]`);
  values.push(`${'['.repeat(5_000)}${']'.repeat(5_000)}`, `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`);
  values.push(`${'{"constructor":'.repeat(2_000)}{}${'}'.repeat(2_000)}`);
  return values;
}

/** Bodies: every hostile value alone, and as each field (known or not) of an otherwise good request. */
export function hostileBodies(): string[] {
  const values = hostileValues();
  const bodies = [...values];
  for (const field of [...REQUEST_FIELDS, ...UNKNOWN_FIELDS]) {
    for (const value of values) {
      const good: Record<string, string> = { program: '"pi"', size: '2', waitSeconds: '0' };
      good[field] = value;
      bodies.push(`{${Object.entries(good).map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`);
    }
  }
  // An unknown field whose name is longer than any message should be.
  bodies.push(`{"program":"pi","size":2,${JSON.stringify('k'.repeat(100_000))}:1}`);
    // The same key twice: JSON.parse keeps the last.
  bodies.push('{"size":{"constructor":{"name":{"toString":1}}},"size":2,"program":"pi"}');
  return bodies;
}
