// Consistent SQLite snapshots while writes continue: SQLite's online backup API, run in a worker thread.
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

const DRIVER = createRequire(import.meta.url).resolve('better-sqlite3')

// Its own connection, and every page copied in ONE backup step: one read transaction, so the copy is the
// database as of a single commit, while the app's writer keeps committing to the WAL. (Copying in many
// small steps from a second connection would restart on every concurrent write; stepping on the app's
// writer connection could observe a transaction that is still open.) The worker keeps the copy off
// the event loop.
const WORKER = `
const { workerData, parentPort } = require('node:worker_threads')
const Database = require(workerData.driver)
let db
try {
  db = new Database(workerData.src, { fileMustExist: true })
  db.pragma('busy_timeout = 10000')
} catch (err) { parentPort.postMessage({ error: String(err && err.message || err) }); return }
db.backup(workerData.dest, { progress: () => 0x7fffffff }).then(
  () => { db.close(); parentPort.postMessage({ ok: true }) },
  (err) => { db.close(); parentPort.postMessage({ error: String(err && err.message || err) }) },
)
`

/** Copies the SQLite database `src` to the new file `dest` as one consistent snapshot. */
export function snapshotSqlite(src: string, dest: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const w = new Worker(`(function(){${WORKER}})()`, { eval: true, workerData: { driver: DRIVER, src, dest } })
    w.once('message', (m: { ok?: boolean; error?: string }) => (m.ok ? resolve() : reject(new Error(`sqlite snapshot failed: ${m.error}`))))
    w.once('error', reject)
    w.once('exit', (code) => { if (code !== 0) reject(new Error(`sqlite snapshot worker exited with ${code}`)) })
  })
}
