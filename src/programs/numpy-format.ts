/**
 * Prints a 1-d numeric array the way numpy's str() does (numpy >= 1.14 defaults: precision 8,
 * floatmode 'maxprec', line width 75, summarised beyond 1000 elements), so our programs' output
 * can be compared line for line with mpi4py's: `[3.]`, `[1.5 2. ]`, `[1 2 3]`, `[1.e+20 1.e+00]`.
 * A port of numpy/core/arrayprint.py (FloatingFormat, IntegerFormat, _formatArray).
 */
export function formatNumpy(values: ArrayLike<number | bigint>, options: { float?: boolean } = {}): string {
  const float = options.float ?? (values instanceof Float64Array || values instanceof Float32Array);
  const single = values instanceof Float32Array;
  const items = Array.from(values as ArrayLike<number | bigint>);
  const summarise = items.length > THRESHOLD;
  const shown = summarise ? [...items.slice(0, EDGE_ITEMS), ...items.slice(-EDGE_ITEMS)] : items;
  const floats = float ? floatFormatter(shown.map(Number), single) : undefined;
  const format = floats ? (v: number | bigint) => floats(Number(v)) : integerFormatter(shown);
  const words = shown.map(format);
  if (summarise) words.splice(EDGE_ITEMS, 0, '...');
  return wrap(words);
}

const PRECISION = 8;
const LINE_WIDTH = 75;
const THRESHOLD = 1000;
const EDGE_ITEMS = 3;

/** _formatArray for one axis: words separated by ' ', wrapped with a one-space hanging indent. */
function wrap(words: string[]): string {
  const indent = ' ';
  const elemWidth = LINE_WIDTH - 1; // max(len(separator.rstrip()), len(']'))
  let text = '';
  let line = indent;
  words.forEach((word, i) => {
    if (line.length + word.length > elemWidth && line.length > indent.length) {
      text += `${line.trimEnd()}\n`;
      line = indent;
    }
    line += word;
    if (i < words.length - 1) line += ' ';
  });
  text += line;
  return `[${text.slice(indent.length)}]`;
}

function integerFormatter(items: (number | bigint)[]): (v: number | bigint) => string {
  const width = Math.max(0, ...items.map((v) => String(v).length));
  return (v) => String(v).padStart(width);
}

/** A finite non-negative number as decimal digits: value = 0.digits × 10^point. */
interface Decimal {
  digits: string;
  point: number;
}

function floatFormatter(items: number[], single: boolean): (v: number) => string {
  const finite = items.filter(Number.isFinite);
  const nonZero = finite.filter((v) => v !== 0).map(Math.abs);
  let expFormat = false;
  if (nonZero.length > 0) {
    const max = Math.max(...nonZero);
    const min = Math.min(...nonZero);
    expFormat = max >= 1e8 || min < 0.0001 || max / min > 1000;
  }
  let padLeft = 0;
  let padRight = 0;
  let precision = PRECISION;
  let expSize = -1;
  if (finite.length > 0 && expFormat) {
    const parts = finite.map((v) => scientificParts(v, single, PRECISION, 0));
    expSize = Math.max(...parts.map((p) => p.exp.length)) - 1;
    precision = Math.max(...parts.map((p) => p.frac.length));
    padLeft = Math.max(...parts.map((p) => p.int.length));
    padRight = expSize + 2 + precision;
  } else if (finite.length > 0) {
    const parts = finite.map((v) => positionalParts(v, single, PRECISION));
    padLeft = Math.max(...parts.map((p) => p.int.length));
    padRight = Math.max(...parts.map((p) => p.frac.length));
  }
  if (finite.length !== items.length) {
    const negInf = items.some((v) => v === -Infinity);
    const offset = padRight + 1;
    padLeft = Math.max(padLeft, 3 - offset, 3 + (negInf ? 1 : 0) - offset);
  }
  return (v) => {
    if (!Number.isFinite(v)) {
      const text = Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
      return text.padStart(padLeft + padRight + 1);
    }
    if (expFormat) {
      const p = scientificParts(v, single, precision, precision);
      const sign = p.exp[0]!;
      return `${p.int.padStart(padLeft)}.${p.frac}e${sign}${p.exp.slice(1).padStart(expSize, '0')}`;
    }
    const p = positionalParts(v, single, precision);
    return `${p.int.padStart(padLeft)}.${p.frac.padEnd(padRight)}`;
  };
}

/** dragon4_positional(unique=True, fractional=True, trim='.'): shortest digits, at most `precision` after the point. */
function positionalParts(v: number, single: boolean, precision: number): { int: string; frac: string } {
  const sign = v < 0 || Object.is(v, -0) ? '-' : '';
  let d = shortest(Math.abs(v), single);
  if (d.digits.length - d.point > precision) d = roundExact(Math.abs(v), precision);
  // Dragon4 always prints the integer part exactly (a float32 above 2^24 is not cut short).
  else if (d.digits.length < d.point) d = roundExact(Math.abs(v), 0);
  const digits = d.digits.replace(/0+$/, '');
  const int = d.point <= 0 ? '0' : digits.slice(0, d.point).padEnd(d.point, '0');
  const frac = d.point >= digits.length ? '' : d.point < 0 ? '0'.repeat(-d.point) + digits : digits.slice(d.point);
  return { int: sign + int, frac };
}

/** dragon4_scientific(unique=True): shortest mantissa, at most `precision` digits after its point, padded to `minDigits`. */
function scientificParts(v: number, single: boolean, precision: number, minDigits: number): { int: string; frac: string; exp: string } {
  const sign = v < 0 || Object.is(v, -0) ? '-' : '';
  const abs = Math.abs(v);
  if (abs === 0) return { int: `${sign}0`, frac: ''.padEnd(minDigits, '0'), exp: '+00' };
  let d = shortest(abs, single);
  if (d.digits.length > precision + 1) d = roundExact(abs, precision + 1 - d.point);
  else if (d.digits.length < minDigits + 1) {
    // Dragon4 fills min_digits with the value's exact digits, not zeros (visible on float32).
    const point = roundExact(abs, 1100).point;
    d = roundExact(abs, minDigits + 1 - point);
  }
  const digits = d.digits.replace(/0+$/, '') || '0';
  const exponent = d.point - 1;
  return {
    int: sign + digits[0]!,
    frac: digits.slice(1).padEnd(minDigits, '0'),
    exp: `${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`,
  };
}

/** The shortest digits that read back as `v` (as a float32 when `single`). */
function shortest(v: number, single: boolean): Decimal {
  if (v === 0) return { digits: '0', point: 1 };
  if (single) {
    // Dragon4 on the float32: the fewest digits that read back, the last one rounded half to even.
    const point = roundExact(v, 1100).point;
    for (let p = 1; p < 9; p++) {
      const candidate = roundExact(v, p - point);
      if (Math.fround(Number(`0.${candidate.digits}e${candidate.point}`)) === v) return trimmed(candidate);
    }
    return trimmed(roundExact(v, 9 - point));
  }
  const [mantissa, exponent] = v.toExponential().split('e') as [string, string];
  return { digits: mantissa.replace('.', '').replace(/0+$/, '') || '0', point: Number(exponent) + 1 };
}

function trimmed(d: Decimal): Decimal {
  return { digits: d.digits.replace(/0+$/, '') || '0', point: d.point };
}

/** The exact binary value of `v` rounded to `fractionDigits` decimals, ties to even (Dragon4's cutoff rounding). */
function roundExact(v: number, fractionDigits: number): Decimal {
  // v = mantissa × 2^exponent exactly; as a decimal it is units × 10^-scale.
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = biased === 0 ? fraction : fraction | (1n << 52n);
  const exponent = (biased === 0 ? 1 : biased) - 1075;
  const units = exponent >= 0 ? mantissa << BigInt(exponent) : mantissa * 5n ** BigInt(-exponent);
  const scale = Math.max(0, -exponent);
  let rounded: bigint;
  if (scale <= fractionDigits) {
    rounded = units * 10n ** BigInt(fractionDigits - scale);
  } else {
    const divisor = 10n ** BigInt(scale - fractionDigits);
    rounded = units / divisor;
    const twice = (units % divisor) * 2n;
    if (twice > divisor || (twice === divisor && rounded % 2n === 1n)) rounded += 1n;
  }
  const digits = rounded.toString();
  return { digits, point: digits.length - fractionDigits };
}
