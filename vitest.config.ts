import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import LongFirst from './test/setup/long-first.js';

const include = ['test/**/*.test.ts', 'test/**/*.test.tsx'];
const postgres = process.env.KEYWARD_TEST_DATABASE_URL;

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // vitest's default, one worker less than there are cores, is a single worker on a 2-core
    // box; but much of the suite waits on child processes, sockets and the disk, so a worker
    // more than there are cores fills time the others leave idle. On this 2-core box 3 workers
    // beat 4 while each file was isolated; with module graphs shared, 4 beat 3 by 3–6 s in two
    // alternating pairs of full runs (docs/testing.md).
    maxWorkers: Math.max(4, availableParallelism()),
    // A worker runs file after file in one module graph instead of loading keyward, hono, zod
    // and drizzle again for each: ~0.7 s of CPU a file, 30 % of the suite's. Tests share no
    // module state that matters (no mocks, no stubbed globals; caches are keyed by input).
    isolate: false,
    sequence: { sequencer: LongFirst },
    // KEYWARD_TEST_CPU_PROFILE=DIR: a CPU profile of each test file in its worker (docs/testing.md).
    setupFiles: process.env.KEYWARD_TEST_CPU_PROFILE ? ['test/setup/cpu-profile.ts'] : [],
    // Compiles src/ once for the tests that spawn keyward (test/helpers/cli.ts).
    globalSetup: ['test/setup/compile-sources.ts', 'test/setup/pg-template.ts'],
    reporters: ['default', './test/setup/slowest-files.ts'],
    projects: [
      { extends: true, test: { name: 'default', include } },
      // The backend-agnostic daemon suite once more, each daemon on a fresh PostgreSQL database
      // (test/helpers/daemon.ts); only where a server is given, as .ci/run does (test/pg's
      // tests say they are skipped otherwise).
      ...(postgres
        ? [
            {
              extends: true as const,
              test: {
                name: 'daemon-postgres',
                include: ['test/daemon/**/*.test.ts'],
                // Lints the OpenAPI document, which no backend changes: ~9 s of two linters for nothing.
                exclude: ['test/daemon/openapi-lint.test.ts'],
                env: { KEYWARD_TEST_BACKEND: 'postgres' },
              },
            },
          ]
        : []),
    ],
  },
});
