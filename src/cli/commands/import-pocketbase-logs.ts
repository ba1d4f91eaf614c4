// PocketBase's request logs (`auxiliary.db` `_logs`) → Basalt's log store, which has the same row shape.
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import type { Config } from '../../config.ts'
import { LOGS_TABLE, migrateLogStore, openLogStore } from '../../logs/log-store.ts'
import { sql } from '../../store/sql.ts'
import type { Store } from '../../store/types.ts'

const BATCH = 500

/** Opens PocketBase's auxiliary.db read-only when it has a readable `_logs` table; null otherwise (logs are optional). */
export function openPbLogs(pbDir: string): Database.Database | null {
  const file = path.join(pbDir, 'auxiliary.db')
  if (!fs.existsSync(file)) return null
  let db: Database.Database | null = null
  try {
    db = new Database(file, { readonly: true, fileMustExist: true })
    const cols = (db.prepare(`SELECT "name" FROM pragma_table_info('_logs')`).all() as { name: string }[]).map((c) => c.name)
    if (['id', 'level', 'message', 'data', 'created'].every((c) => cols.includes(c))) return db
  } catch { /* not a database: treated as no logs */ }
  db?.close()
  return null
}

export const countPbLogs = (aux: Database.Database) => Number((aux.prepare(`SELECT COUNT(*) AS "n" FROM "_logs"`).get() as { n: number }).n)

/**
 * Copies the log rows into the target's log store (auxiliary.db on SQLite, the `_logs` table on
 * PostgreSQL). Runs after the data committed: logs live outside that transaction on SQLite, and they
 * are diagnostic history, so a failure here is reported without undoing the import. A row whose id
 * the target already has is skipped. Basalt's retention (`settings.logs.maxDays`) prunes old rows later.
 */
export async function copyPbLogs(aux: Database.Database, config: Config, main: Store): Promise<number> {
  const { store, owned } = openLogStore(config, main)
  try {
    await migrateLogStore(store)
    const page = aux.prepare(`SELECT rowid AS "__pos", "id", "level", "message", "data", "created" FROM "_logs" WHERE rowid > ? ORDER BY rowid LIMIT ?`)
    let after = -1
    let copied = 0
    for (;;) {
      const rows = page.all(after, BATCH) as { __pos: number; id: unknown; level: unknown; message: unknown; data: unknown; created: unknown }[]
      if (!rows.length) break
      after = Number(rows[rows.length - 1].__pos)
      const text = (v: unknown) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v ?? ''))
      const values = rows.map((r) => sql`(${text(r.id)}, ${Number(r.level) || 0}, ${text(r.message)}, ${jsonText(text(r.data))}, ${text(r.created)})`)
      const res = await store.run(sql`INSERT INTO ${store.dialect.ident(LOGS_TABLE)} ("id", "level", "message", "data", "created") VALUES ${sql.join(values)} ON CONFLICT ("id") DO NOTHING`)
      copied += res.changes
      if (rows.length < BATCH) break
    }
    return copied
  } finally {
    if (owned) await store.close()
  }
}

/** `data` must be JSON (a JSONB column on PostgreSQL); anything else becomes `{}`. */
function jsonText(s: string): string {
  try { JSON.parse(s); return s } catch { return '{}' }
}
