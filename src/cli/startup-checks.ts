// Start-up checks that say exactly what is wrong: an unwritable data directory, an unreachable PostgreSQL (retried, bounded).
import fs from 'node:fs'
import path from 'node:path'
import pg from 'pg'
import { isConnectionError } from '../store/postgres-store.ts'

export class StartupError extends Error {}

/** Creates the data directory if needed and proves it is writable (SQLite needs to create files next to the database). */
export function checkDataDir(dir: string): void {
  const probe = path.join(dir, `.write-check-${process.pid}`)
  try {
    fs.mkdirSync(dir, { recursive: true })
    fs.writeFileSync(probe, '')
    fs.rmSync(probe)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error'
    const who = typeof process.getuid === 'function' ? ` (uid ${process.getuid()})` : ''
    throw new StartupError(`the data directory ${dir} is not usable (${code}): the user running Basalt${who} needs ` +
      `read, write and execute (rwx) permission on it and on its parent to create it; fix it with chown/chmod, ` +
      `or choose another with --dir or BASALT_DIR`)
  }
}

/** `host:port (database db)` from a connection string, without the password. */
export function describePostgres(url: string): string {
  try {
    const u = new URL(url)
    return `${u.hostname || 'localhost'}:${u.port || '5432'} (database ${decodeURIComponent(u.pathname.slice(1)) || u.username || 'postgres'})`
  } catch {
    return 'the DATABASE_URL address'
  }
}

/**
 * Waits until PostgreSQL accepts a connection, retrying connection failures (refused, reset, starting up)
 * for at most `timeoutMs`, so a node started with its database (docker compose, a reboot) does not die
 * at once. Other failures (wrong password, missing database) are reported immediately.
 */
export async function waitForPostgres(url: string, timeoutMs: number, onRetry?: (message: string) => void): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let delay = 250
  for (let attempt = 1; ; attempt++) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: Math.max(1000, Math.min(5000, timeoutMs)) })
    client.on('error', () => {})
    try {
      await client.connect()
      await client.query('SELECT 1')
      return
    } catch (err) {
      const reason = (err as { code?: string }).code ?? (err as Error).message
      if (!isConnectionError(err)) {
        throw new StartupError(`PostgreSQL at ${describePostgres(url)} refused the connection: ${(err as Error).message}`)
      }
      if (Date.now() + delay > deadline) {
        throw new StartupError(`cannot reach PostgreSQL at ${describePostgres(url)} (${reason}) after ${attempt} attempt(s) in ` +
          `${Math.round(timeoutMs / 1000)} s; check that it is running and that DATABASE_URL is right ` +
          `(retry window: BASALT_PG_START_TIMEOUT seconds)`)
      }
      onRetry?.(`PostgreSQL at ${describePostgres(url)} not reachable yet (${reason}); retrying`)
      await new Promise((r) => setTimeout(r, delay))
      delay = Math.min(delay * 2, 2000)
    } finally {
      await client.end().catch(() => {})
    }
  }
}
