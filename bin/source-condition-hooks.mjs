// Module resolution hooks for a checkout of the repository: every import is resolved with the
// "lambda-mpi-source" condition as well, so `import … from 'lambda-mpi'` reaches src/index.ts (the
// package's exports map sends it there) rather than the compiled dist/, which a checkout lacks.
export async function resolve(specifier, context, nextResolve) {
  const conditions = context.conditions.includes('lambda-mpi-source') ? context.conditions : [...context.conditions, 'lambda-mpi-source'];
  return nextResolve(specifier, { ...context, conditions });
}
