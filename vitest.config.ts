import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // `import … from 'lambda-mpi'` in the repository's own files (test fixtures) means the sources,
  // as the package's "lambda-mpi-source" export condition says elsewhere (tsc, the CLI).
  resolve: { alias: [{ find: /^lambda-mpi$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) }] },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/aws/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The SDK's notice that its future versions need Node 22 is not about these tests.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
