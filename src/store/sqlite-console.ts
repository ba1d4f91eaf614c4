// The SQL console on SQLite: the statement runs in a child process on its own connection, so a deadline can stop it.
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { QueryRefusedError } from './select-query.ts'
import { QueryTimeoutError, type ConsoleOptions, type ConsoleResult } from './sql-console.ts'

const DRIVER = createRequire(import.meta.url).resolve('better-sqlite3')

// better-sqlite3 has no interrupt, and a worker thread cannot be stopped inside a native SQLite step
// (it would spin on after its deadline): the statement runs in a child process, killed at the deadline.
// Read-only mode opens the file read-only and accepts only read-only statements; write mode runs the
// statement in an IMMEDIATE transaction, committed only if it completes (a killed process's transaction
// is rolled back by SQLite, its locks released by the OS).
const CHILD = `
const { driver, file, query, write, maxRows } = JSON.parse(process.argv[1])
const Database = require(driver)
const reply = (m) => process.send(m, () => process.exit(0))
let db
try {
  db = new Database(file, { readonly: !write, fileMustExist: true })
  db.pragma('busy_timeout = 5000')
  const st = db.prepare(query)
  if (!write && !(st.reader && st.readonly)) {
    if (db) db.close()
    reply({ refused: 'Only read-only statements are allowed unless "write": true is sent.' })
    return
  }
  const notNull = db.prepare('SELECT "notnull" AS "n" FROM pragma_table_info(?) WHERE "name" = ?')
  const out = { columns: [], rows: [], affectedRows: 0 }
  const run = () => {
    if (!st.reader) { out.affectedRows = st.run().changes; return }
    out.columns = st.columns().map((c) => ({
      name: c.name, type: c.type || '',
      nullable: !(c.table && c.column && (notNull.get(c.table, c.column) || {}).n === 1),
    }))
    for (const row of st.raw(true).iterate()) {
      if (out.rows.length < maxRows) out.rows.push(row)
      else if (st.readonly) break // a write (RETURNING) runs to the end
    }
    if (!st.readonly) out.affectedRows = db.prepare('SELECT changes() AS "n"').get().n
  }
  if (write) db.transaction(run).immediate()
  else run()
  db.close()
  reply({ ok: out })
} catch (err) {
  reply({ error: String(err && err.message || err) })
}
`

export function sqliteConsole(file: string, query: string, opts: ConsoleOptions): Promise<ConsoleResult> {
  if (file === ':memory:') return Promise.reject(new QueryRefusedError('The SQL console needs a database file.'))
  return new Promise((resolve, reject) => {
    const args = JSON.stringify({ driver: DRIVER, file, query, write: opts.write, maxRows: opts.maxRows })
    // `advanced` serialization keeps bytes, bigints and nulls as they are (consoleCell formats them).
    const child = spawn(process.execPath, ['-e', `(function(){${CHILD}})()`, args], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'], serialization: 'advanced' })
    let settled = false
    const settle = (fn: () => void) => { if (!settled) { settled = true; clearTimeout(timer); fn() } }
    const timer = setTimeout(() => settle(() => { child.kill('SIGKILL'); reject(new QueryTimeoutError(opts.timeoutMs)) }), opts.timeoutMs)
    child.once('message', (m: { ok?: ConsoleResult; refused?: string; error?: string }) => settle(() => {
      if (m.ok) resolve(m.ok)
      else reject(m.refused ? new QueryRefusedError(m.refused) : new Error(m.error))
    }))
    child.once('error', (err) => settle(() => reject(err)))
    child.once('close', (code) => settle(() => reject(new Error(`the SQL console process exited with code ${code}`))))
  })
}
