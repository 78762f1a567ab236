import { DIAGNOSTIC_PROGRAMS, programNames } from '../programs/index.ts';

/** The help's line of bundled programs: the examples first, the ones that fail on purpose apart. */
export function bundledProgramsLine(): string {
  const examples = programNames().filter((name) => !DIAGNOSTIC_PROGRAMS.includes(name));
  return `Bundled programs: ${examples.join(', ')} (and, failing on purpose to try failure handling: ${DIAGNOSTIC_PROGRAMS.join(', ')})`;
}
