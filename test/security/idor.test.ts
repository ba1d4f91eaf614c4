// SECURITY.md D1/D3 (+ 1.3 status table): IDOR/BOLA — other users' records are indistinguishable from missing ones.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { allSecrets, dbRows, expectClientError, raw, setupWorld, snapshot, type World } from './fixture.ts'

let w: World
let secrets: string[]
const posts = '/api/collections/posts/records'
const users = '/api/collections/users/records'
type Row = Record<string, any>

beforeAll(async () => {
  w = await setupWorld()
  secrets = await allSecrets(w)
})
afterAll(async () => { await w?.close() })

describe('D1 foreign record = 404 with the same body as a missing one', () => {
  it('view / update / delete of A’s post by B and by a guest', async () => {
    const before = await snapshot(w)
    for (const token of [w.b.token, undefined]) {
      for (const [method, body] of [['GET', undefined], ['PATCH', { title: 'pwned' }], ['DELETE', undefined]] as const) {
        const foreign = await raw(w, method, `${posts}/${w.postA1}`, { token, body })
        const missing = await raw(w, method, `${posts}/doesnotexist123`, { token, body })
        expectClientError(foreign, 404, secrets)
        expect(foreign.json).toEqual(missing.json)
        expect(foreign.text).not.toContain(w.postA1)
      }
    }
    expect(await snapshot(w)).toBe(before)
  })
  it('auth records: B cannot view, update or delete A', async () => {
    const before = await snapshot(w, 'users')
    for (const [method, body] of [['GET', undefined], ['PATCH', { name: 'pwned', emailVisibility: true }], ['DELETE', undefined]] as const) {
      const foreign = await raw(w, method, `${users}/${w.a.id}`, { token: w.b.token, body })
      const missing = await raw(w, method, `${users}/doesnotexist123`, { token: w.b.token, body })
      expectClientError(foreign, 404, secrets)
      expect(foreign.json).toEqual(missing.json)
    }
    expect(await snapshot(w, 'users')).toBe(before)
  })
  it('odd id spellings never reach another row and never 500', async () => {
    const ids = [w.postA1.toUpperCase(), `${w.postA1} `, `${w.postA1}%00`, `${w.postA1}%20OR%201=1`, `..%2F${w.postA1}`, `${w.postA1}'--`, `%2A`, '%25', 'x'.repeat(400), `${w.postA1}/`]
    for (const id of ids) {
      const res = await raw(w, 'GET', `${posts}/${id}`, { token: w.b.token })
      // A NUL anywhere in the path is refused up front on both stores (ADR 0007).
      expectClientError(res, id.includes('%00') ? 400 : 404, secrets)
    }
  })
  it('superuser sees everything (control)', async () => {
    expect((await raw(w, 'GET', `${posts}/${w.postA1}`, { token: w.suToken })).status).toBe(200)
  })
})

describe('D3 re-parenting a record to someone else', () => {
  it('A cannot hand her post to B (JSON, modifiers, multipart)', async () => {
    const attempts: { body?: unknown; form?: [string, string][] }[] = [
      { body: { owner: w.b.id } },
      { body: { 'owner+': w.b.id } },
      { body: { '+owner': w.b.id } },
      { body: { owner: [w.a.id, w.b.id] } },
      { body: { owner: '', title: 'orphan' } },
      { form: [['owner', w.b.id]] },
      { form: [['@jsonPayload', JSON.stringify({ owner: w.b.id })]] },
    ]
    for (const a of attempts) {
      let rawBody: FormData | undefined
      if (a.form) { rawBody = new FormData(); for (const [k, v] of a.form) rawBody.append(k, v) }
      const res = await raw(w, 'PATCH', `${posts}/${w.postA1}`, { token: w.a.token, body: a.body, rawBody })
      // 200 only when the resolved value is still A (e.g. `+owner` on a single relation keeps the last id).
      if (res.status === 200) expect(res.json.owner, JSON.stringify(a)).toBe(w.a.id)
      else expectClientError(res, [400, 404], secrets)
      const r = (await dbRows<Row>(w, 'posts')).find((p) => p.id === w.postA1)
      expect(r!.owner, JSON.stringify(a)).toBe(w.a.id)
    }
  })
  it('B cannot claim A’s post, and A cannot create posts owned by B', async () => {
    expectClientError(await raw(w, 'PATCH', `${posts}/${w.postA1}`, { token: w.b.token, body: { owner: w.b.id } }), 404, secrets)
    const before = (await dbRows(w, 'posts')).length
    for (const owner of [w.b.id, [w.b.id], '']) {
      expectClientError(await raw(w, 'POST', posts, { token: w.a.token, body: { title: 'framed', owner } }), 400, secrets)
    }
    expectClientError(await raw(w, 'POST', posts, { body: { title: 'guest', owner: w.a.id } }), 400, secrets)
    expect((await dbRows(w, 'posts')).length).toBe(before)
  })
  it('control: A may still edit her own post', async () => {
    const res = await raw(w, 'PATCH', `${posts}/${w.postA1}`, { token: w.a.token, body: { title: 'edited', owner: w.a.id } })
    expect(res.status, res.text).toBe(200)
  })
})

describe('locked rules and system collections', () => {
  it('_superusers records are 403 for users and guests (list, view, create, update, delete)', async () => {
    const suId = (await dbRows<Row>(w, '_superusers'))[0].id
    for (const token of [w.a.token, undefined]) {
      expectClientError(await raw(w, 'GET', '/api/collections/_superusers/records', { token }), 403, secrets)
      expectClientError(await raw(w, 'GET', `/api/collections/_superusers/records/${suId}`, { token }), 403, secrets)
      expectClientError(await raw(w, 'POST', '/api/collections/_superusers/records', { token, body: { email: 'evil@example.com', password: 'password123', passwordConfirm: 'password123' } }), 403, secrets)
      expectClientError(await raw(w, 'PATCH', `/api/collections/_superusers/records/${suId}`, { token, body: { email: 'evil@example.com' } }), 403, secrets)
      expectClientError(await raw(w, 'DELETE', `/api/collections/_superusers/records/${suId}`, { token }), 403, secrets)
    }
    expect((await dbRows(w, '_superusers')).length).toBe(1)
  })
  it('collections admin API refuses users (401/403) and changes nothing', async () => {
    const before = JSON.stringify(await w.su.collections.getFullList())
    for (const token of [w.a.token, undefined]) {
      expectClientError(await raw(w, 'GET', '/api/collections', { token }), [401, 403])
      expectClientError(await raw(w, 'PATCH', '/api/collections/posts', { token, body: { listRule: '' } }), [401, 403])
      expectClientError(await raw(w, 'DELETE', '/api/collections/posts', { token }), [401, 403])
      expectClientError(await raw(w, 'POST', '/api/collections', { token, body: { name: 'evil', type: 'base' } }), [401, 403])
    }
    expect(JSON.stringify(await w.su.collections.getFullList())).toBe(before)
  })
})
