// SettingsService: patches are stored, defaults and env values are not frozen into the database.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SqliteStore } from '../store/sqlite-store.ts'
import { migrateSystemTables } from '../store/migrations.ts'
import { systemClock } from '../core/clock.ts'
import { ApiError } from '../core/errors.ts'
import { sql } from '../store/sql.ts'
import { SettingsService } from './settings-service.ts'
import { publicSettings } from './settings.ts'

let store: SqliteStore

beforeEach(async () => {
  store = new SqliteStore({ file: ':memory:' })
  await store.transaction((tx) => migrateSystemTables(tx, store.dialect))
})
afterEach(() => store.close())

describe('SettingsService', () => {
  it('stores only patched values: later env changes still apply, env secrets stay out of the database', async () => {
    const first = new SettingsService(store, systemClock, { BASALT_SMTP_HOST: 'smtp.one.test', BASALT_SMTP_PASSWORD: 'env-secret' })
    await first.update({ meta: { appName: 'Patched' } })
    const row = await store.get<{ value: string }>(sql`SELECT "value" FROM "_params" WHERE "id" = 'settings'`)
    expect(JSON.parse(row!.value)).toEqual({ meta: { appName: 'Patched' } })
    expect(row!.value).not.toContain('env-secret')

    const restarted = new SettingsService(store, systemClock, { BASALT_SMTP_HOST: 'smtp.two.test' })
    const s = await restarted.get()
    expect(s.meta.appName).toBe('Patched')
    expect(s.smtp.host).toBe('smtp.two.test')
  })

  it('keeps earlier patches when a later patch touches other keys; a blank secret keeps the stored one', async () => {
    const svc = new SettingsService(store, systemClock, {})
    await svc.update({ smtp: { enabled: true, host: 'mail.test', port: 2525, password: 'api-secret' } })
    await svc.update({ smtp: { password: '' }, meta: { senderName: 'Ops' } })
    svc.invalidate()
    const s = await svc.get()
    expect(s.smtp).toMatchObject({ enabled: true, host: 'mail.test', port: 2525, password: 'api-secret' })
    expect(s.meta.senderName).toBe('Ops')
    expect(publicSettings(s).smtp.password).toBe('')
  })

  it('rejects wrong types and invalid values with per-field errors and stores nothing', async () => {
    const svc = new SettingsService(store, systemClock, {})
    const err = await svc.update({ meta: { appURL: 'not a url' }, smtp: { port: 'x' } }).catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(400)
    expect(err.data).toMatchObject({ smtp: { port: { code: 'validation_invalid_value' } }, meta: { appURL: { code: 'validation_invalid_url' } } })
    expect(await store.get(sql`SELECT 1 AS "x" FROM "_params" WHERE "id" = 'settings'`)).toBeUndefined()
  })
})
