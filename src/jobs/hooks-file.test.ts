// A hooks file defines jobs and cron jobs; unloading it (a --dev reload) removes its cron jobs.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp, type App } from '../app.ts'
import { resolveConfig } from '../config.ts'
import { loadHookFiles } from '../framework/hooks-loader.ts'

let app: App
let dir: string

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basalt-jobs-hooks-'))
  app = await createApp(resolveConfig({ dataDir: path.join(dir, 'data'), logLevel: 'silent' }))
})
afterAll(async () => { await app.close(); fs.rmSync(dir, { recursive: true, force: true }) })

describe('jobs and cron from a hooks file', () => {
  it('registers them through the app the file receives; unload removes its cron jobs', async () => {
    const hooks = path.join(dir, 'hooks')
    fs.mkdirSync(hooks)
    fs.writeFileSync(path.join(hooks, 'jobs.ts'), `export default (app) => {
      app.jobs.define('greet', (job) => ({ hello: job.payload.name }))
      app.cronAdd('hourly-greeting', '0 * * * *', () => app.jobs.enqueue('greet', { name: 'cron' }))
    }\n`)
    const loaded = await loadHookFiles(app, hooks)
    expect(app.cron.list().map((c) => c.id)).toContain('hourly-greeting')
    const id = await app.jobs.enqueue('greet', { name: 'ada' })
    expect(await app.jobs.waitFor(id)).toMatchObject({ state: 'completed', output: { hello: 'ada' } })
    loaded.unload()
    expect(app.cron.has('hourly-greeting')).toBe(false)
  })
})
