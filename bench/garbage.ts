import v8 from 'node:v8';
import vm from 'node:vm';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/**
 * Collects this process's garbage, so that what one case left behind (hundreds of dropped 8 MiB
 * results, say) is not freed on the next case's time.
 */
export function collectGarbage(): void {
  gc();
  gc();
}
