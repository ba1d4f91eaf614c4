import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp, type App } from '../app.ts'
import { resolveConfig } from '../config.ts'
import { formatDate } from '../core/clock.ts'
import { sql } from '../store/sql.ts'
import { cleanupAudit, cleanupAuth } from './builtin-crons.ts'
import { waitFor } from '../../test/support/wait.ts'

const DAY = 86_400_000
let app: App
let dir: string
const ago = (ms: number) => formatDate(new Date(Date.now() - ms))
const ids = async (table: string) => (await app.store.all<{ id: string }>(sql`SELECT "id" FROM ${sql.raw(`"${table}"`)} ORDER BY "id"`)).map((r) => r.id)

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basalt-builtin-'))
  app = await createApp(resolveConfig({ dataDir: dir, logLevel: 'silent' }))
})
afterAll(async () => { await app.close(); fs.rmSync(dir, { recursive: true, force: true }) })

describe('built-in clean-up crons', () => {
  it('deletes expired OTPs, MFA sessions and cookie sessions, and keeps live ones', async () => {
    const users = app.collections.get('users')
    for (const [id, created] of [['otp-old', ago(DAY)], ['otp-new', ago(1000)]]) {
      await app.store.run(sql`INSERT INTO "_otps" ("id", "collectionRef", "recordRef", "password", "created", "updated") VALUES (${id}, ${users.id}, 'r', 'x', ${created}, ${created})`)
    }
    for (const [id, created] of [['mfa-old', ago(DAY)], ['mfa-new', ago(1000)]]) {
      await app.store.run(sql`INSERT INTO "_mfas" ("id", "collectionRef", "recordRef", "method", "created", "updated") VALUES (${id}, ${users.id}, 'r', 'password', ${created}, ${created})`)
    }
    for (const [id, expires] of [['s-old', ago(1000)], ['s-new', ago(-DAY)]]) {
      await app.store.run(sql`INSERT INTO "_sessions" ("id", "familyRef", "expires") VALUES (${id}, 'f', ${expires})`)
      await app.store.run(sql`INSERT INTO "_sessionFamilies" ("id", "collectionRef", "recordRef", "keyHash", "expires") VALUES (${id}, ${users.id}, 'r', 'h', ${expires})`)
    }
    expect(await cleanupAuth(app.store, app.collections, app.clock)).toBe(4)
    expect(await ids('_otps')).toEqual(['otp-new'])
    expect(await ids('_mfas')).toEqual(['mfa-new'])
    expect(await ids('_sessions')).toEqual(['s-new'])
    expect(await ids('_sessionFamilies')).toEqual(['s-new'])
  })

  it('deletes audit rows past retention', async () => {
    for (const [id, created] of [['a-old', ago(100 * DAY)], ['a-new', ago(DAY)]]) {
      await app.store.run(sql`INSERT INTO "_audit" ("id", "created", "action") VALUES (${id}, ${created}, 'impersonate')`)
    }
    expect(await cleanupAudit(app.store, app.clock, 90 * DAY)).toBe(1)
    expect(await ids('_audit')).toEqual(['a-new'])
  })

  it('the jobs clean-up cron removes finished jobs past retention', async () => {
    app.jobs.define('noop', () => {})
    const id = await app.jobs.enqueue('noop')
    await app.jobs.waitFor(id)
    await app.store.run(sql`UPDATE "_jobs" SET "finishedAt" = ${Date.now() - 8 * DAY} WHERE "id" = ${id}`)
    const fresh = await app.jobs.enqueue('noop')
    await app.jobs.waitFor(fresh)
    expect(app.cron.runNow('__basaltJobsCleanup__')).toBe(true)
    await waitFor(async () => !(await app.jobs.get(id)), 5000, 'old job purged')
    expect((await app.jobs.get(fresh))?.state).toBe('completed')
  })
})
