// The one human line `serve` prints once listening: URL, store, Redis, and how to create the first superuser
// (the dashboard's one-time installer link, or the CLI).
import path from 'node:path'
import type { App } from '../app.ts'
import { VERSION } from '../version.ts'
import { describePostgres } from './startup-checks.ts'
import { installerLink } from '../http/routes/ui-installer.ts'

/** The URL a browser on this machine can open (a wildcard bind address is not one). */
export function servedUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' || host === '::' || host === '' ? 'localhost' : host.includes(':') ? `[${host}]` : host
  return `http://${h}:${port}`
}

export async function startupLine(app: App, url: string): Promise<string> {
  const { config } = app
  const store = config.databaseUrl ? `PostgreSQL ${describePostgres(config.databaseUrl)}` : `SQLite ${path.join(config.dataDir, 'data.db')}`
  const redis = config.redisUrl ? 'on' : 'off'
  const where = config.databaseUrl ? '' : ` --dir=${config.dataDir}`
  // No superuser yet: a one-time installer link for the dashboard (30 min, single use), or the CLI.
  const link = await installerLink(app, url)
  const hint = link
    ? ` · no superuser yet: open ${link} (one use, 30 min) or run "basalt superuser upsert EMAIL PASSWORD${where}" (from a checkout: node bin/basalt.js superuser …)`
    : ''
  return `Basalt ${VERSION} serving ${url} · store: ${store} · Redis: ${redis}${hint}`
}
