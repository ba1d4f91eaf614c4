// Bench child: one Basalt node that only runs no-op jobs (the multi-node PostgreSQL leg of bench/jobs.ts).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createApp } from '../src/app.ts'
import { resolveConfig } from '../src/config.ts'
import { DEFAULT_JOBS_CONFIG } from '../src/jobs/config.ts'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basalt-bench-worker-'))
const app = await createApp(resolveConfig({
  dataDir: dir, logLevel: 'silent', databaseUrl: process.env.DATABASE_URL!, pgPoolSize: 10,
  jobs: { ...DEFAULT_JOBS_CONFIG, pollMs: 500 },
}))
app.jobs.define('noop', () => {}, { concurrency: Number(process.env.CONCURRENCY ?? 100) })
process.send?.('ready')
process.on('message', async (m) => {
  if (m !== 'stop') return
  await app.close()
  fs.rmSync(dir, { recursive: true, force: true })
  process.exit(0)
})
