/**
 * A number with thousands separators, as `toLocaleString('en-US')` writes it. That call loads
 * the ICU locale data the first time, about 20 ms, which the CLI paid on the way to starting
 * every job (bench case startup.pi.np2); integers, all this project prints so, need none of it.
 */
export function grouped(n: number): string {
  if (!Number.isSafeInteger(n)) return n.toLocaleString('en-US');
  const digits = String(Math.abs(n));
  const groups: string[] = [];
  for (let end = digits.length; end > 0; end -= 3) groups.unshift(digits.slice(Math.max(0, end - 3), end));
  return `${n < 0 || Object.is(n, -0) ? '-' : ''}${groups.join(',')}`;
}

/** `1 rank`, `4 ranks`, `1,000 ranks`: a job's size as its titles and progress say it. */
export function rankCount(size: number): string {
  return `${grouped(size)} rank${size === 1 ? '' : 's'}`;
}
