import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    pool: 'forks',
    // Most tests wait on PostgreSQL, Redis, RabbitMQ or a spawned CLI, not on the CPU.
    maxWorkers: 4,
    // Generous: under a loaded 2-core CI box a test that spawns a dozen CLI runs can take a minute.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    reporters: ['default'],
  },
});
