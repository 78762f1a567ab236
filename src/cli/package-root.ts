import { fileURLToPath } from 'node:url';

/**
 * The lambda-mpi package's own directory: the repository in a checkout, node_modules/lambda-mpi in
 * a project that installed it. The service (serverless.yml) and the local stack (tools/local-aws/)
 * live there. This module sits two levels down in the sources (src/cli/) and in the compiled
 * package (dist/cli/) alike.
 */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
