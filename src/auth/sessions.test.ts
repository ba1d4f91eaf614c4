// SessionService against a real SQLite app: forged/confused access tokens, family binding, rotation,
// reuse revocation and expiry. HTTP behaviour is in test/api/auth-sessions*.test.ts.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SignJWT } from 'jose'
import { createApp, type App } from '../app.ts'
import { resolveConfig } from '../config.ts'
import type { Collection } from '../core/collections/types.ts'
import type { RecordData } from '../rules/request-info.ts'
import { guestRequest } from '../rules/request-info.ts'
import { loadRecord } from '../core/records/record-io.ts'
import { sql } from '../store/sql.ts'
import { verifyToken } from './tokens.ts'

let app: App
let dir: string
let c: Collection
let record: RecordData
let now = new Date('2030-01-01T00:00:00Z')
const clock = { now: () => now }
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basalt-sessions-'))
  app = await createApp(resolveConfig({ dataDir: dir, logLevel: 'silent', port: 0, databaseUrl: null }, {}), { clock })
  const root = guestRequest({ auth: { collection: app.collections.get('_superusers'), record: { id: 'root' } } })
  await app.collections.update('users', { cookieSessions: { enabled: true, secure: false } })
  c = app.collections.get('users')
  const created = await app.records.create(c, { body: { email: 'a@example.com', password: 'password-123', passwordConfirm: 'password-123' }, files: new Map() }, {}, root) as { id: string }
  record = (await loadRecord(app.store, c, created.id, app.store.dialect))!
})
afterAll(async () => {
  await app?.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

describe('access tokens', () => {
  it('authenticate only from the right cookie kind, and are never bearer tokens', async () => {
    const s = await app.sessions.start(c, record)
    expect((await app.sessions.authenticate(s.access, false))?.auth.record.id).toBe(record.id)
    expect(await app.sessions.authenticate(s.access, true)).toBeNull() // collection is not `secure`
    expect(await app.auth.authenticate(s.access)).toBeNull()
    expect(await verifyToken(s.access, { tokenKey: String(record.tokenKey), secret: c.auth!.authToken.secret, allowedTypes: ['auth'] })).toBeNull()
    // …and a bearer token is not a session token.
    expect(await app.sessions.authenticate(await app.auth.issueAuthToken(c, record), false)).toBeNull()
  })

  it('refuse alg none, other algorithms, a bearer-key signature and a swapped family id', async () => {
    const s = await app.sessions.start(c, record)
    const other = await app.sessions.start(c, record)
    const [h, p, sig] = s.access.split('.')
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString())
    expect(await app.sessions.authenticate(`${b64({ alg: 'none', typ: 'JWT' })}.${p}.`, false)).toBeNull()
    expect(await app.sessions.authenticate(`${h}.${b64({ ...claims, sid: other.familyId })}.${sig}`, false)).toBeNull()
    const bearerKey = new TextEncoder().encode(String(record.tokenKey) + c.auth!.authToken.secret)
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(bearerKey)
    expect(await app.sessions.authenticate(forged, false)).toBeNull()
    const hs512 = await new SignJWT(claims).setProtectedHeader({ alg: 'HS512' }).sign(new Uint8Array(64))
    expect(await app.sessions.authenticate(hs512, false)).toBeNull()
    expect(await app.sessions.authenticate('x'.repeat(10_000), false)).toBeNull()
  })

  it('expire after accessDuration; a revoked family kills them before that', async () => {
    const s = await app.sessions.start(c, record)
    const t0 = now
    now = new Date(t0.getTime() + 899_000)
    expect(await app.sessions.authenticate(s.access, false)).not.toBeNull()
    now = new Date(t0.getTime() + 900_000)
    expect(await app.sessions.authenticate(s.access, false)).toBeNull()
    now = t0
    await app.sessions.revokeFamily(s.familyId)
    expect(await app.sessions.authenticate(s.access, false)).toBeNull()
  })
})

describe('refresh families', () => {
  it('rotate once; a spent token replayed revokes the family; tokens are stored hashed', async () => {
    const s = await app.sessions.start(c, record)
    const next = await app.sessions.rotate(await app.sessions.beginRefresh(c, s.refresh))
    expect(next.familyId).toBe(s.familyId)
    const rows = await app.store.all<{ id: string }>(sql`SELECT "id" FROM "_sessions"`)
    expect(rows.length).toBeGreaterThan(1)
    for (const r of rows) expect([s.refresh, next.refresh]).not.toContain(r.id)
    await expect(app.sessions.beginRefresh(c, s.refresh)).rejects.toMatchObject({ status: 401 })
    await expect(app.sessions.beginRefresh(c, next.refresh)).rejects.toMatchObject({ status: 401 })
    expect(await app.sessions.authenticate(next.access, false)).toBeNull()
  })

  it('a pending refresh can be spent once: the loser of a race revokes the family', async () => {
    const s = await app.sessions.start(c, record)
    const [a, b] = await Promise.all([app.sessions.beginRefresh(c, s.refresh), app.sessions.beginRefresh(c, s.refresh)])
    const results = await Promise.allSettled([app.sessions.rotate(a), app.sessions.rotate(b)])
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    const won = (results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{ access: string }>).value
    expect(await app.sessions.authenticate(won.access, false)).toBeNull()
  })

  it('never outlive maxDuration, and belong to one collection', async () => {
    const s = await app.sessions.start(c, record)
    await expect(app.sessions.beginRefresh(app.collections.get('_superusers'), s.refresh)).rejects.toMatchObject({ status: 401 })
    const t0 = now
    now = new Date(t0.getTime() + (2592000 - 100) * 1000)
    // Still alive by the absolute timeout, but idle past refreshDuration (7 days): refused.
    await expect(app.sessions.beginRefresh(c, s.refresh)).rejects.toMatchObject({ status: 401 })
    now = t0
    // Refreshed every 6 days (never idle), the login still ends at maxDuration (30 days), and every
    // token issued on the way is capped by it.
    let cur = await app.sessions.start(c, record)
    const DAY = 86_400_000
    for (let d = 6; d < 30; d += 6) {
      now = new Date(t0.getTime() + d * DAY)
      cur = await app.sessions.rotate(await app.sessions.beginRefresh(c, cur.refresh))
      expect(cur.refreshMaxAge).toBeLessThanOrEqual((30 - d) * 86_400)
    }
    now = new Date(t0.getTime() + 30 * DAY)
    await expect(app.sessions.beginRefresh(c, cur.refresh)).rejects.toMatchObject({ status: 401 })
    expect(await app.sessions.authenticate(cur.access, false)).toBeNull()
    now = t0
    await expect(app.sessions.beginRefresh(c, undefined)).rejects.toMatchObject({ status: 401 })
    await expect(app.sessions.beginRefresh(c, 'nope')).rejects.toMatchObject({ status: 401 })
  })
})
