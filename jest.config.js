/** Jest runs TypeScript through swc; PGlite's CJS build needs its dynamic import kept. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j|cj|mj)sx?$': ['@swc/jest', { module: { type: 'commonjs', ignoreDynamic: false } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(kysely|@electric-sql/pglite)/)'],
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
  globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
  setupFiles: ['<rootDir>/test/helpers/setup-runtime.ts'],
  testTimeout: 60_000,
  // One test file at a time: files share one Temporal dev server, and several assert timings
  // (retry gaps, grace windows) that a second heavy file on the same machine would distort.
  maxWorkers: 1,
  // Each file leaves some memory behind (Temporal workers, bundles, pools): in one process the
  // whole suite outgrew V8's 4 GB heap (a CI run died at 1,640 s). Set, this also runs the files
  // in a worker process, replaced once it holds more than this after a file.
  workerIdleMemoryLimit: '1.5GB',
  // A leaked handle must never keep CI waiting: tests clean up, this is the backstop.
  forceExit: true,
  reporters: ['default', '<rootDir>/test/helpers/summary-reporter.js'],
};
