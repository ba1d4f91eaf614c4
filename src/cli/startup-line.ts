// The one human line `serve` prints once listening: URL, store, Redis, and how to create the first superuser.
import path from 'node:path'
import type { App } from '../app.ts'
import { sql } from '../store/sql.ts'
import { VERSION } from '../version.ts'
import { describePostgres } from './startup-checks.ts'

/** The URL a browser on this machine can open (a wildcard bind address is not one). */
export function servedUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' || host === '::' || host === '' ? 'localhost' : host.includes(':') ? `[${host}]` : host
  return `http://${h}:${port}`
}

export async function startupLine(app: App, url: string): Promise<string> {
  const { config } = app
  const store = config.databaseUrl ? `PostgreSQL ${describePostgres(config.databaseUrl)}` : `SQLite ${path.join(config.dataDir, 'data.db')}`
  const redis = config.redisUrl ? 'on' : 'off'
  const row = await app.store.get<{ n: number | string }>(sql`SELECT COUNT(*) AS "n" FROM "_superusers"`)
  const where = config.databaseUrl ? '' : ` --dir=${config.dataDir}`
  const hint = Number(row?.n ?? 0) === 0
    ? ` · no superuser yet: create one with "basalt superuser upsert EMAIL PASSWORD${where}" (from a checkout: node bin/basalt.js superuser …)`
    : ''
  return `Basalt ${VERSION} serving ${url} · store: ${store} · Redis: ${redis}${hint}`
}
