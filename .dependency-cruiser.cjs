/**
 * The house's import rules, checked by `npm test` (npm run check:imports). Each rule says which
 * room may not depend on which, and why; docs/architecture.md draws the same layers.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'Modules that import each other cannot be understood, tested or moved alone.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'mpi-core-stands-alone',
      comment: 'MPI semantics (comm, p2p, codec, errors) know only the Transport interface, never a backend, the runtime, the service or the environment.',
      severity: 'error',
      from: { path: '^src/mpi/' },
      to: { path: '^src/', pathNot: ['^src/mpi/', '^src/transport/transport[.]ts$'] },
    },
    {
      name: 'transports-only-move-frames',
      comment: 'A transport backend moves frames; it never reaches up into the runtime, the service, the CLI or the programs.',
      severity: 'error',
      from: { path: '^src/transport/' },
      to: { path: '^src/(runtime|service|cli|programs)/' },
    },
    {
      name: 'runtime-knows-no-service',
      comment: 'The runtime runs ranks wherever they are; the Lambda service and the CLI are built on it, not the other way round.',
      severity: 'error',
      from: { path: '^src/runtime/' },
      to: { path: '^src/(service|cli)/' },
    },
    {
      name: 'watching-is-below-the-edges',
      comment: "A job's event log and cancel request (src/watch/) are read and written by the service and the CLI alike; it knows neither, and the runtime knows it only through the JobEventSink interface.",
      severity: 'error',
      from: { path: '^src/watch/' },
      to: { path: '^src/(service|cli|programs)/' },
    },
    {
      name: 'runtime-knows-no-watch-backend',
      comment: 'Rank 0 hands its events to a JobEventSink; which store keeps them is the edge\'s choice.',
      severity: 'error',
      from: { path: '^src/runtime/' },
      to: { path: '^src/watch/' },
    },
    {
      name: 'bundled-programs-by-name-only',
      comment: 'The runtime loads the catalog of bundled programs only to resolve a name (program-source.ts).',
      severity: 'error',
      from: { path: '^src/(runtime|transport)/', pathNot: '^src/runtime/program-source[.]ts$' },
      to: { path: '^src/programs/' },
    },
    {
      name: 'programs-use-the-public-api',
      comment: 'Bundled programs are ordinary user programs: they use the MPI API, nothing behind it.',
      severity: 'error',
      from: { path: '^src/programs/' },
      to: { path: '^src/', pathNot: ['^src/programs/', '^src/mpi/', '^src/index[.]ts$'] },
    },
    {
      name: 'service-is-not-the-cli',
      comment: 'The Lambda service and the CLI are two edges; neither imports the other.',
      severity: 'error',
      from: { path: '^src/(service|cli)/' },
      to: { path: '^src/(service|cli)/' , pathNot: '^src/$1/' },
    },
    {
      name: 'functions-never-load-the-bundler',
      comment: 'Bundling programs (esbuild, a native binary) and finding stages (CloudFormation) are the CLI\'s work; code that runs in the Lambda functions never imports them. The one exception bundles a program for ranks in worker threads, which only runLocal({ threads: true }) loads (see the next rule).',
      severity: 'error',
      from: { path: '^src/(service|runtime|transport|mpi|programs)/', pathNot: '^src/runtime/threads/thread-bundle[.]ts$' },
      to: { path: 'node_modules/(esbuild|@aws-sdk/client-cloudformation)/' },
    },
    {
      name: 'functions-never-start-threads',
      comment: 'Ranks in worker threads (and the bundler they need) belong to runLocal; the Lambda functions run one rank each and never reach them.',
      severity: 'error',
      from: { path: '^src/service/' },
      to: { path: '^src/runtime/(threads/|run-local[.]ts$)' },
    },
    {
      name: 'package-imports-no-tools-tests-benches',
      comment: 'What ships in the package never loads the local tools, the tests or the benches.',
      severity: 'error',
      from: { path: '^(src|bin)/' },
      to: { path: '^(tools|test|bench)/' },
    },
    {
      name: 'package-needs-no-dev-dependencies',
      comment: 'Code that ships in the package runs with its runtime dependencies only.',
      severity: 'error',
      from: { path: '^(src|bin)/' },
      to: { dependencyTypes: ['npm-dev'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['lambda-mpi-source', 'import', 'require', 'node', 'default'], extensions: ['.ts', '.mjs', '.js', '.cjs', '.json'] },
    exclude: { path: '(^|/)([.]serverless|[.]esbuild[^/]*)/' },
  },
};
