// Keeps docs/api.md's "PocketBase conformance" table true: it must list every PocketBase endpoint, and
// each row is called on a running server — implemented rows answer the status PocketBase gives for the
// request (never the unknown-route 404), absent rows answer 404/501. SQLite only: the routes are the
// same on PostgreSQL, whose behaviour the other suites cover.
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type PocketBase from 'pocketbase'
import { startServer, TEST_STORE, waitFor, type TestServer } from '../support/server.ts'
import { PASSWORD, signUp } from './helpers.ts'

/** PocketBase's Web API (v0.23+; `DELETE /api/logs` and `POST /api/sql` from v0.39/v0.40): method + path. */
const POCKETBASE_ENDPOINTS = [
  'GET /api/health',
  'GET /api/collections/{collection}/records', 'GET /api/collections/{collection}/records/{id}',
  'POST /api/collections/{collection}/records', 'PATCH /api/collections/{collection}/records/{id}',
  'DELETE /api/collections/{collection}/records/{id}',
  'GET /api/collections/{collection}/auth-methods', 'POST /api/collections/{collection}/auth-with-password',
  'POST /api/collections/{collection}/auth-with-oauth2', 'POST /api/collections/{collection}/request-otp',
  'POST /api/collections/{collection}/auth-with-otp', 'POST /api/collections/{collection}/auth-refresh',
  'POST /api/collections/{collection}/request-verification', 'POST /api/collections/{collection}/confirm-verification',
  'POST /api/collections/{collection}/request-password-reset', 'POST /api/collections/{collection}/confirm-password-reset',
  'POST /api/collections/{collection}/request-email-change', 'POST /api/collections/{collection}/confirm-email-change',
  'POST /api/collections/{collection}/impersonate/{id}',
  'GET /api/oauth2-redirect', 'POST /api/oauth2-redirect',
  'GET /api/realtime', 'POST /api/realtime', 'POST /api/batch',
  'POST /api/files/token', 'GET /api/files/{collection}/{recordId}/{filename}',
  'GET /api/collections', 'POST /api/collections', 'GET /api/collections/{collection}', 'PATCH /api/collections/{collection}',
  'DELETE /api/collections/{collection}', 'DELETE /api/collections/{collection}/truncate', 'PUT /api/collections/import',
  'GET /api/collections/meta/scaffolds', 'GET /api/collections/meta/oauth2-providers', 'POST /api/collections/meta/dry-run-view',
  'GET /api/settings', 'PATCH /api/settings', 'POST /api/settings/test/s3', 'POST /api/settings/test/email',
  'POST /api/settings/apple/generate-client-secret',
  'GET /api/logs', 'GET /api/logs/stats', 'GET /api/logs/{id}', 'DELETE /api/logs',
  'GET /api/crons', 'POST /api/crons/{id}',
  'GET /api/backups', 'POST /api/backups', 'POST /api/backups/upload', 'GET /api/backups/{key}',
  'DELETE /api/backups/{key}', 'POST /api/backups/{key}/restore',
  'POST /api/sql',
]

interface Row { endpoint: string; status: 'same' | 'differs' | 'absent' }

function conformanceTable(): Row[] {
  const doc = fs.readFileSync(path.resolve(import.meta.dirname, '../../docs/api.md'), 'utf8')
  const section = doc.slice(doc.indexOf('## PocketBase conformance'), doc.indexOf('## Compatibility with PocketBase'))
  return [...section.matchAll(/^\| (GET|POST|PATCH|PUT|DELETE) \| `([^`]+)` \| (same|differs|absent) \|/gm)]
    .map((m) => ({ endpoint: `${m[1]} ${m[2]}`, status: m[3] as Row['status'] }))
}

type Who = 'guest' | 'user' | 'superuser'
interface Probe { url: string; who: Who; body?: unknown; form?: FormData; expect: number }

describe.skipIf(TEST_STORE !== 'sqlite')('PocketBase conformance table (docs/api.md)', () => {
  let s: TestServer
  let su: PocketBase
  let user: { email: string; id: string; token: string }
  const ids: Record<string, string> = {}

  beforeAll(async () => {
    s = await startServer()
    su = await s.superuser()
    await su.collections.create({ name: 'notes', type: 'base', listRule: '', viewRule: '', createRule: '', updateRule: '', deleteRule: '',
      fields: [{ name: 'title', type: 'text' }, { name: 'doc', type: 'file', maxSelect: 1 }] })
    await su.collections.create({ name: 'scratch', type: 'base' })
    await su.collections.create({ name: 'emptied', type: 'base' })
    const form = new FormData()
    form.append('title', 'with file')
    form.append('doc', new Blob(['hello']), 'hello.txt')
    const note = await su.collection('notes').create(form)
    ids.note = note.id
    ids.file = note.doc
    ids.doomed = (await su.collection('notes').create({ title: 'to delete' })).id
    const u = await signUp(s)
    user = { email: u.email, id: u.record.id, token: u.pb.authStore.token }
    await waitFor(async () => (await su.logs.getList(1, 1)).items.length > 0, 10_000, 'a request log')
    ids.log = (await su.logs.getList(1, 1)).items[0].id
    ids.cron = (await su.crons.getFullList())[0]?.id ?? 'none'
  })
  afterAll(async () => { await s?.close() })

  // The request each row is called with, and the status PocketBase answers it with.
  const probes = (): Record<string, Probe> => ({
    'GET /api/health': { url: '/api/health', who: 'guest', expect: 200 },
    'GET /api/collections/{collection}/records': { url: '/api/collections/notes/records', who: 'guest', expect: 200 },
    'GET /api/collections/{collection}/records/{id}': { url: `/api/collections/notes/records/${ids.note}`, who: 'guest', expect: 200 },
    'POST /api/collections/{collection}/records': { url: '/api/collections/notes/records', who: 'guest', body: { title: 'new' }, expect: 200 },
    'PATCH /api/collections/{collection}/records/{id}': { url: `/api/collections/notes/records/${ids.note}`, who: 'guest', body: { title: 'changed' }, expect: 200 },
    'DELETE /api/collections/{collection}/records/{id}': { url: `/api/collections/notes/records/${ids.doomed}`, who: 'guest', expect: 204 },
    'GET /api/collections/{collection}/auth-methods': { url: '/api/collections/users/auth-methods', who: 'guest', expect: 200 },
    'POST /api/collections/{collection}/auth-with-password': { url: '/api/collections/users/auth-with-password', who: 'guest', body: { identity: user.email, password: PASSWORD }, expect: 200 },
    'POST /api/collections/{collection}/auth-with-oauth2': { url: '/api/collections/users/auth-with-oauth2', who: 'guest', body: {}, expect: 403 }, // OAuth2 not enabled
    'POST /api/collections/{collection}/request-otp': { url: '/api/collections/users/request-otp', who: 'guest', body: { email: user.email }, expect: 403 }, // OTP not enabled
    'POST /api/collections/{collection}/auth-with-otp': { url: '/api/collections/users/auth-with-otp', who: 'guest', body: { otpId: 'x', password: 'y' }, expect: 403 },
    'POST /api/collections/{collection}/auth-refresh': { url: '/api/collections/users/auth-refresh', who: 'user', expect: 200 },
    'POST /api/collections/{collection}/request-verification': { url: '/api/collections/users/request-verification', who: 'guest', body: { email: user.email }, expect: 204 },
    'POST /api/collections/{collection}/confirm-verification': { url: '/api/collections/users/confirm-verification', who: 'guest', body: { token: 'forged' }, expect: 400 },
    'POST /api/collections/{collection}/request-password-reset': { url: '/api/collections/users/request-password-reset', who: 'guest', body: { email: user.email }, expect: 204 },
    'POST /api/collections/{collection}/confirm-password-reset': { url: '/api/collections/users/confirm-password-reset', who: 'guest', body: { token: 'forged', password: 'long-enough-1', passwordConfirm: 'long-enough-1' }, expect: 400 },
    'POST /api/collections/{collection}/request-email-change': { url: '/api/collections/users/request-email-change', who: 'user', body: { newEmail: `new-${user.email}` }, expect: 204 },
    'POST /api/collections/{collection}/confirm-email-change': { url: '/api/collections/users/confirm-email-change', who: 'guest', body: { token: 'forged', password: PASSWORD }, expect: 400 },
    'POST /api/collections/{collection}/impersonate/{id}': { url: `/api/collections/users/impersonate/${user.id}`, who: 'superuser', body: {}, expect: 200 },
    'GET /api/oauth2-redirect': { url: '/api/oauth2-redirect?state=unknown&code=x', who: 'guest', expect: 400 },
    'POST /api/oauth2-redirect': { url: '/api/oauth2-redirect', who: 'guest', form: Object.assign(new FormData(), {}), expect: 400 },
    'GET /api/realtime': { url: '/api/realtime', who: 'guest', expect: 200 },
    'POST /api/realtime': { url: '/api/realtime', who: 'guest', body: { clientId: 'unknown-client', subscriptions: [] }, expect: 404 },
    'POST /api/batch': { url: '/api/batch', who: 'guest', body: { requests: [{ method: 'POST', url: '/api/collections/notes/records', body: { title: 'batched' } }] }, expect: 403 }, // batch is off by default, as in PocketBase
    'POST /api/files/token': { url: '/api/files/token', who: 'user', expect: 200 },
    'GET /api/files/{collection}/{recordId}/{filename}': { url: `/api/files/notes/${ids.note}/${ids.file}`, who: 'guest', expect: 200 },
    'GET /api/collections': { url: '/api/collections', who: 'superuser', expect: 200 },
    'POST /api/collections': { url: '/api/collections', who: 'superuser', body: { name: 'created_here', type: 'base' }, expect: 200 },
    'GET /api/collections/{collection}': { url: '/api/collections/notes', who: 'superuser', expect: 200 },
    'PATCH /api/collections/{collection}': { url: '/api/collections/scratch', who: 'superuser', body: { listRule: '' }, expect: 200 },
    'DELETE /api/collections/{collection}': { url: '/api/collections/created_here', who: 'superuser', expect: 204 },
    'DELETE /api/collections/{collection}/truncate': { url: '/api/collections/emptied/truncate', who: 'superuser', expect: 204 },
    'PUT /api/collections/import': { url: '/api/collections/import', who: 'superuser', body: { collections: [] }, expect: 400 },
    'GET /api/collections/meta/scaffolds': { url: '/api/collections/meta/scaffolds', who: 'superuser', expect: 200 },
    'GET /api/collections/meta/oauth2-providers': { url: '/api/collections/meta/oauth2-providers', who: 'superuser', expect: 200 },
    'POST /api/collections/meta/dry-run-view': { url: '/api/collections/meta/dry-run-view', who: 'superuser', body: { query: 'SELECT id FROM notes' }, expect: 200 },
    'GET /api/settings': { url: '/api/settings', who: 'superuser', expect: 200 },
    'PATCH /api/settings': { url: '/api/settings', who: 'superuser', body: {}, expect: 200 },
    'POST /api/settings/test/s3': { url: '/api/settings/test/s3', who: 'superuser', body: { filesystem: 'storage' }, expect: 400 },
    'POST /api/settings/test/email': { url: '/api/settings/test/email', who: 'superuser', body: { email: 'test@example.com', template: 'verification' }, expect: 204 },
    'POST /api/settings/apple/generate-client-secret': { url: '/api/settings/apple/generate-client-secret', who: 'superuser', body: {}, expect: 400 },
    'GET /api/logs': { url: '/api/logs', who: 'superuser', expect: 200 },
    'GET /api/logs/stats': { url: '/api/logs/stats', who: 'superuser', expect: 200 },
    'GET /api/logs/{id}': { url: `/api/logs/${ids.log}`, who: 'superuser', expect: 200 },
    'DELETE /api/logs': { url: '/api/logs', who: 'superuser', expect: 204 },
    'GET /api/crons': { url: '/api/crons', who: 'superuser', expect: 200 },
    'POST /api/crons/{id}': { url: `/api/crons/${ids.cron}`, who: 'superuser', expect: 204 },
    'GET /api/backups': { url: '/api/backups', who: 'superuser', expect: 200 },
    'POST /api/backups': { url: '/api/backups', who: 'superuser', body: { name: 'conformance.zip' }, expect: 204 },
    'POST /api/backups/upload': { url: '/api/backups/upload', who: 'superuser', form: new FormData(), expect: 400 },
    'GET /api/backups/{key}': { url: '/api/backups/conformance.zip?token=FILE_TOKEN', who: 'guest', expect: 200 },
    'DELETE /api/backups/{key}': { url: '/api/backups/conformance.zip', who: 'superuser', expect: 204 },
    'POST /api/backups/{key}/restore': { url: '/api/backups/missing.zip/restore', who: 'superuser', expect: 400 },
    'POST /api/sql': { url: '/api/sql', who: 'superuser', body: { query: 'SELECT 1 AS one' }, expect: 200 },
  })

  it('lists every PocketBase endpoint exactly once', () => {
    const rows = conformanceTable().map((r) => r.endpoint)
    expect(new Set(rows).size).toBe(rows.length)
    expect([...rows].sort()).toEqual([...POCKETBASE_ENDPOINTS].sort())
  })

  it('every row answers as the table says', async () => {
    const table = probes()
    const outcomes: string[] = []
    for (const row of conformanceTable()) { // in table order: backups are created before they are read and deleted
      const [method] = row.endpoint.split(' ')
      const probe = table[row.endpoint]
      expect(probe, `a probe for ${row.endpoint}`).toBeDefined()
      let url = probe.url
      if (url.includes('FILE_TOKEN')) url = url.replace('FILE_TOKEN', await su.files.getToken())
      const headers: Record<string, string> = {}
      if (probe.who === 'user') headers.authorization = user.token
      if (probe.who === 'superuser') headers.authorization = su.authStore.token
      let body: BodyInit | undefined
      if (probe.form) body = probe.form
      else if (probe.body !== undefined) { body = JSON.stringify(probe.body); headers['content-type'] = 'application/json' }
      else if (method !== 'GET') { body = '{}'; headers['content-type'] = 'application/json' }
      const ac = new AbortController()
      const res = await fetch(`${s.url}${url}`, { method, headers, body, signal: ac.signal })
      const status = res.status
      ac.abort() // the realtime stream never ends on its own
      const want = row.status === 'absent' ? [404, 501] : [probe.expect]
      if (!want.includes(status)) outcomes.push(`${row.endpoint} (${row.status}): got ${status}, want ${want.join('/')}`)
    }
    expect(outcomes).toEqual([])
  })
})
