// Probes whether a service answers, for vitest.config.ts (run as a child process: the config is sync).
// Usage: node test/support/probe.mjs postgres URL | redis URL ; exit 0 = reachable.
import pg from 'pg'
import Redis from 'ioredis'

const [kind, url] = process.argv.slice(2)
const timeout = setTimeout(() => process.exit(1), 3000)
try {
  if (kind === 'postgres') {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 })
    await client.connect()
    await client.query('SELECT 1')
    await client.end()
  } else if (kind === 'redis') {
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 })
    await redis.connect()
    await redis.ping()
    redis.disconnect()
  } else {
    process.exit(2)
  }
  clearTimeout(timeout)
  process.exit(0)
} catch {
  process.exit(1)
}
