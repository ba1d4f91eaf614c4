// Where request logs live: `auxiliary.db` next to data.db on SQLite (like PocketBase), a `_logs` table on PostgreSQL.
import path from 'node:path'
import type { Config } from '../config.ts'
import { SqliteStore } from '../store/sqlite-store.ts'
import type { Store } from '../store/types.ts'

export const LOGS_TABLE = '_logs'
export const AUX_DB_FILE = 'auxiliary.db'

/** The log row as stored: `data` is JSON text. */
export interface LogRow { id: string; level: number; message: string; data: string; created: string }

/**
 * A separate SQLite file keeps log writes off the main database's single writer. Its writes append and
 * its reads are occasional (dashboard, stats), so a small page cache does: with the default 32 MiB per
 * connection, log pages filled it (bench: RSS after the HTTP scenarios 226 MB, with 4 MiB 199 MB).
 */
const LOG_CACHE_KB = 4_000

export function openLogStore(config: Config, main: Store): { store: Store; owned: boolean } {
  if (main.dialect.name === 'postgres') return { store: main, owned: false }
  return { store: new SqliteStore({ file: path.join(config.dataDir, AUX_DB_FILE), synchronous: 'NORMAL', cacheSizeKb: LOG_CACHE_KB }), owned: true }
}

/** Creates the logs table and its indexes, idempotently. Column types follow the dialect, so rules compile against it. */
export async function migrateLogStore(store: Store): Promise<void> {
  const d = store.dialect
  const cols = [
    `"id" ${d.columnType('text')} PRIMARY KEY`,
    `"level" ${d.columnType('number')}`,
    `"message" ${d.columnType('text')}`,
    `"data" ${d.columnType('json')}`,
    `"created" ${d.columnType('text')}`,
    ...d.systemColumns,
  ]
  await store.exec(`CREATE TABLE IF NOT EXISTS "${LOGS_TABLE}" (${cols.join(', ')})`)
  await store.exec(`CREATE INDEX IF NOT EXISTS "_logs_created_idx" ON "${LOGS_TABLE}" ("created")`)
  await store.exec(`CREATE INDEX IF NOT EXISTS "_logs_level_idx" ON "${LOGS_TABLE}" ("level")`)
}
