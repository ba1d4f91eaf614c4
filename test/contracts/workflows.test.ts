// Workflows on SQLite and PostgreSQL: durable timers, signal waits with timeouts, compensation order, resume after a restart.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp, type App } from '../../src/app.ts'
import { resolveConfig } from '../../src/config.ts'
import { DEFAULT_JOBS_CONFIG } from '../../src/jobs/config.ts'
import type { WorkflowDefinition } from '../../src/jobs/index.ts'
import { probe } from '../support/services.ts'
import { createTestDatabase } from '../support/server.ts'
import { waitFor } from '../support/wait.ts'

const postgresUp = probe('postgres')
if (!postgresUp) console.warn('SKIP postgres: no PostgreSQL answered; the workflow suite runs on SQLite only.')

const fast = { baseMs: 10, maxMs: 10, jitter: false }

for (const engine of [{ name: 'sqlite', available: true }, { name: 'postgres', available: postgresUp }]) {
  describe.skipIf(!engine.available)(`workflows [${engine.name}]`, () => {
    let dir: string
    let db: { url: string; drop(): Promise<void> } | null = null
    let app: App
    const open = () => createApp(resolveConfig({
      dataDir: dir, logLevel: 'silent', databaseUrl: db?.url ?? null, shutdownGraceMs: 500,
      jobs: { ...DEFAULT_JOBS_CONFIG, leaseMs: 1000, pollMs: 50 },
    }))
    const settled = async (id: string, states = ['completed', 'compensated', 'failed', 'cancelled']) =>
      (await waitFor(async () => { const w = await app.workflows.get(id); return w && states.includes(w.state) ? w : null }, 10_000, `workflow ${id}`))!

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basalt-wf-'))
      if (engine.name === 'postgres') db = await createTestDatabase()
      app = await open()
    })
    afterAll(async () => {
      await app?.close()
      await db?.drop()
      fs.rmSync(dir, { recursive: true, force: true })
    })

    it('passes results from step to step and sleeps durably between steps', async () => {
      const at: number[] = []
      app.workflows.define('timer', {
        steps: [
          { name: 'a', run: (ctx) => { at.push(Date.now()); return { n: ctx.input.n + 1 } } },
          { name: 'pause', sleepMs: 300 },
          { name: 'b', run: (ctx) => { at.push(Date.now()); return { n: ctx.results.a.n * 10 } } },
        ],
      })
      const id = await app.workflows.start('timer', { n: 1 })
      const wf = await settled(id)
      expect(wf).toMatchObject({ state: 'completed', results: { a: { n: 2 }, pause: null, b: { n: 20 } }, stepName: '' })
      expect(at[1] - at[0]).toBeGreaterThanOrEqual(290)
    })

    it('retries a step, then compensates the completed steps in reverse order', async () => {
      const log: string[] = []
      let chargeAttempts = 0
      app.workflows.define('saga', {
        backoff: fast,
        steps: [
          { name: 'one', run: () => { log.push('run one') }, compensate: () => { log.push('undo one') } },
          { name: 'two', run: () => { log.push('run two') } }, // nothing to undo
          { name: 'three', run: () => { log.push('run three') }, compensate: (ctx) => { log.push(`undo three (${ctx.error})`) } },
          { name: 'four', maxAttempts: 3, run: () => { chargeAttempts++; throw new Error('declined') } },
        ],
      } satisfies WorkflowDefinition)
      const id = await app.workflows.start('saga')
      const wf = await settled(id)
      expect(wf.state).toBe('compensated')
      expect(chargeAttempts).toBe(3)
      expect(log).toEqual(['run one', 'run two', 'run three', 'undo three (step four failed: declined)', 'undo one'])
    })

    it('waits for a signal (even one sent before the wait is reached) and fails a wait past its timeout', async () => {
      app.workflows.define('approval', {
        steps: [
          { name: 'prepare', run: () => new Promise((r) => setTimeout(() => r('ready'), 100)) },
          { name: 'approved', waitFor: 'approve', timeoutMs: 400 },
          { name: 'done', run: (ctx) => ctx.results.approved },
        ],
      })
      const early = await app.workflows.start('approval')
      expect(await app.workflows.signal(early, 'approve', { by: 'bob' })).toBe(true)
      expect(await settled(early)).toMatchObject({ state: 'completed', results: { done: { by: 'bob' } } })
      expect(await app.workflows.signal(early, 'approve')).toBe(false)

      const late = await app.workflows.start('approval')
      const wf = await settled(late)
      expect(wf).toMatchObject({ state: 'compensated', error: 'timed out waiting for approve' })
    })

    it('resumes after a restart: a waiting workflow continues on the new process', async () => {
      const define = (a: App, log: string[]) => a.workflows.define('restart', {
        steps: [
          { name: 'before', run: () => { log.push('before') } },
          { name: 'wait', waitFor: 'go' },
          { name: 'after', run: () => { log.push('after') } },
        ],
      })
      const first: string[] = []
      define(app, first)
      const id = await app.workflows.start('restart')
      await settled(id, ['waiting'])
      await app.close()
      app = await open()
      const second: string[] = []
      define(app, second)
      expect((await app.workflows.get(id))!.state).toBe('waiting')
      await app.workflows.signal(id, 'go')
      expect((await settled(id)).state).toBe('completed')
      expect(first).toEqual(['before'])
      expect(second).toEqual(['after'])
      expect((await app.workflows.list({ name: 'restart' })).items.map((w) => w.id)).toEqual([id])
    })
  })
}
