import { defineProgram, type Program } from '../../../src/index.ts';
import * as collectives from './collectives.ts';
import * as communicators from './communicators.ts';
import * as deadlocks from './deadlocks.ts';
import * as failures from './failures.ts';
import * as nonblocking from './nonblocking.ts';
import * as nonblockingCollectives from './nonblocking-collectives.ts';
import * as output from './output.ts';
import * as p2p from './p2p.ts';
import * as topology from './topology.ts';
import * as values from './values.ts';
import * as vectors from './vectors.ts';

/**
 * Every conformance case's program by name ("p2p.ring"), and one program that runs any of them:
 * ranks in worker threads load this module and get the case to run in their input, so the same
 * case list runs in this thread and in threads (target.ts).
 */
const byName = new Map<string, Program>();
const nameOf = new Map<Program, string>();
for (const [group, module] of Object.entries({ collectives, communicators, deadlocks, failures, nonblocking, nonblockingCollectives, output, p2p, topology, values, vectors })) {
  for (const [name, value] of Object.entries(module)) {
    if ((value as Program)?.kind !== 'lambda-mpi/program') continue;
    byName.set(`${group}.${name}`, value as Program);
    nameOf.set(value as Program, `${group}.${name}`);
  }
}

export function caseName(program: Program): string | undefined {
  return nameOf.get(program);
}

export interface CaseInput {
  case: string;
  input: unknown;
}

export default defineProgram(async (comm, { case: name, input }: CaseInput) => {
  const program = byName.get(name);
  if (!program) throw new Error(`no conformance case program named ${JSON.stringify(name)}`);
  return program.main(comm, input);
});
