import { spawnSync } from 'node:child_process'
import { defineConfig } from 'vitest/config'
import { probe, POSTGRES_URL, REDIS_URL } from './test/support/services.ts'

// The black-box suites run once per store. The PostgreSQL leg runs when a PostgreSQL answers
// (`.ci/run` makes sure one does); otherwise it is skipped with a visible message.
const postgres = probe('postgres')
if (!postgres) console.warn(`\nSKIP postgres: no PostgreSQL answered at ${POSTGRES_URL}; the test/api and test/security suites run on SQLite only.\n`)
// The cluster suite (test/cluster: several node processes on PostgreSQL + a dedicated redis-server)
// needs both services; it is skipped with a visible message otherwise.
const redis = probe('redis')
const redisServer = spawnSync('redis-server', ['--version'], { timeout: 5000 }).status === 0
const cluster = postgres && redis && redisServer
if (!cluster) {
  console.warn(`\nSKIP cluster: needs PostgreSQL (${POSTGRES_URL}: ${postgres ? 'up' : 'down'}), Redis (${REDIS_URL}: ${redis ? 'up' : 'down'}) ` +
    `and a redis-server binary (${redisServer ? 'found' : 'missing'}).\n`)
}

const common = { testTimeout: 20_000, hookTimeout: 30_000, pool: 'forks' as const }

export default defineConfig({
  test: {
    ...common,
    projects: [
      {
        test: { ...common, name: 'sqlite', include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts', 'ui/test/**/*.test.ts'], exclude: ['test/cluster/**'] },
      },
      ...(postgres ? [{
        test: {
          ...common, name: 'postgres',
          include: ['test/api/**/*.test.ts', 'test/security/**/*.test.ts', 'examples/**/*.test.ts'],
          env: { BASALT_TEST_STORE: 'postgres' },
        },
      }] : []),
      ...(cluster ? [{
        test: {
          ...common, name: 'cluster',
          include: ['test/cluster/**/*.test.ts'],
          // Files spawn node processes and their own redis-server: one file at a time.
          testTimeout: 60_000, hookTimeout: 60_000, fileParallelism: false,
        },
      }] : []),
    ],
  },
})
