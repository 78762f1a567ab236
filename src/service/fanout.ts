/**
 * Ranks start each other as a k-ary tree: rank r starts r·k+1 … r·k+k. Every started rank
 * launches its own children before running the program, so starting N ranks takes about
 * log_k(N) invocation latencies instead of N.
 */
export const DEFAULT_FANOUT = 8;

export function childrenOf(rank: number, size: number, fanout: number): number[] {
  const children: number[] = [];
  for (let child = rank * fanout + 1; child <= rank * fanout + fanout && child < size; child++) children.push(child);
  return children;
}
