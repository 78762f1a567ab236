/**
 * Prints a 1-d numeric array the way numpy's str() does, so our programs' output can be
 * compared line for line with mpi4py's: `[3.]`, `[1.5 2. ]`, `[1 2 3]`.
 */
export function formatNumpy(values: ArrayLike<number>, options: { float?: boolean } = {}): string {
  const float = options.float ?? (values instanceof Float64Array || values instanceof Float32Array);
  const items = Array.from(values as ArrayLike<number>);
  if (!float) {
    const texts = items.map((v) => String(v));
    const width = Math.max(0, ...texts.map((t) => t.length));
    return `[${texts.map((t) => t.padStart(width)).join(' ')}]`;
  }
  // numpy (legacy=False) prints the shortest round-trip digits, aligned on the decimal point,
  // with integral floats as "3." and trailing space padding on the fractional side.
  const split = items.map((v) => {
    if (!Number.isFinite(v)) return { int: Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf', frac: '', special: true };
    const text = String(v);
    const [int, frac = ''] = text.split('.');
    return { int: int!, frac, special: false };
  });
  const intWidth = Math.max(...split.map((s) => s.int.length));
  const fracWidth = Math.max(...split.map((s) => s.frac.length));
  const texts = split.map((s) =>
    s.special ? s.int.padStart(intWidth + 1 + fracWidth) : `${s.int.padStart(intWidth)}.${s.frac.padEnd(fracWidth)}`,
  );
  return `[${texts.join(' ')}]`;
}
