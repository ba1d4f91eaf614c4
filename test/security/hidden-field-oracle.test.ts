// SECURITY.md B1/B3/B5/B7/B11/B13: hidden fields, relation paths and @collection/@request as oracles; totals under rules.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { allSecrets, expectClientError, expectNoLeak, q, raw, setupWorld, snapshot, type World } from './fixture.ts'

let w: World
let secrets: string[]
let before: string
let tokenKeyA: string
let tokenKeyB: string
let boardB: string

const listUrl = (c: string, params: Record<string, string | number>) => `/api/collections/${c}/records${q(params)}`

beforeAll(async () => {
  w = await setupWorld()
  // Users become publicly listable (emails stay hidden: emailVisibility=false) so relation paths to users are allowed.
  await w.su.collections.update('users', { listRule: '', viewRule: '' })
  const vault = await w.su.collections.create({ name: 'vault', type: 'base', fields: [{ name: 'code', type: 'text' }], listRule: null, viewRule: null })
  await w.su.collections.create({
    name: 'board', type: 'base', listRule: '', viewRule: '',
    fields: [
      { name: 'title', type: 'text' },
      { name: 'owner', type: 'relation', collectionId: '_pb_users_auth_', maxSelect: 1 },
      { name: 'vault', type: 'relation', collectionId: vault.id, maxSelect: 1 },
    ],
  })
  const v = await w.su.collection('vault').create({ code: 'vault-code-123' })
  await w.su.collection('board').create({ title: 'by a', owner: w.a.id, vault: v.id })
  boardB = (await w.su.collection('board').create({ title: 'by b', owner: w.b.id, vault: v.id })).id
  const users = await w.s.app.store.all<{ id: string; tokenKey: string }>((await import('../../src/store/sql.ts')).sql`SELECT "id", "tokenKey" FROM "users"`)
  tokenKeyA = users.find((u) => u.id === w.a.id)!.tokenKey
  tokenKeyB = users.find((u) => u.id === w.b.id)!.tokenKey
  secrets = [...(await allSecrets(w)), 'vault-code-123']
  before = await snapshot(w)
})
afterAll(async () => {
  if (w) expect(await snapshot(w)).toBe(before)
  await w?.close()
})

const get = (token: string | undefined, c: string, params: Record<string, string | number>) => raw(w, 'GET', listUrl(c, params), { token })

describe('B1/B7 hidden fields are not filterable or sortable by non-superusers', () => {
  const secretOf = () => w.secrets[w.postA1]
  const postFilters = () => [
    "secret ~ 'a%'", `secret ~ '${secretOf().slice(0, 3)}%'`, `secret = '${secretOf()}'`, "secret != ''", 'secret = null',
    `((secret ~ '${secretOf().slice(0, 2)}%'))`, `(((((secret ~ 'z%')))))`, `title != '' || secret ~ 'zq%'`, `secret ~ 'zq%' || title != ''`,
    `title != '' && (id != '' || (secret ~ 'zq%'))`, "secret ?~ 'zq%'", "secret ?= 'x'", "secret ?!= 'x'", "secret:lower ~ 'zq%'",
    'secret:length > 0', "secret:each ~ 'zq%'", "secret:lower ?~ 'z'", 'secret > "a"', "'zq' ~ secret", 'secret = secret',
    "title = secret", "owner.id != '' && secret ~ 'z%'", "strftime('%Y', secret) = '2020'", 'secret:changed = true', "secret:isset = true",
  ]
  it('posts: every wrapping, operator and modifier of `secret` → 400 for the owner, data {}', async () => {
    for (const filter of postFilters()) {
      const res = await get(w.a.token, 'posts', { filter })
      expectClientError(res, 400, secrets, filter)
      expect(res.json.data, filter).toEqual({})
    }
  })
  it('posts: guests get the same 400 (not an empty 200 that differs by value)', async () => {
    for (const filter of postFilters().slice(0, 5)) expectClientError(await get(undefined, 'posts', { filter }), 400, secrets, filter)
  })
  it('posts: sort by secret → 400', async () => {
    for (const sort of ['secret', '-secret', '+secret', 'title,secret', 'secret:lower']) expectClientError(await get(w.a.token, 'posts', { sort }), 400, secrets, sort)
  })
  it('users: password / tokenKey in any form → 400', async () => {
    for (const filter of ["password ~ '$'", "password ~ '$argon2%'", 'password != ""', "tokenKey ~ 'a%'", `tokenKey = '${tokenKeyA}'`, '((tokenKey:lower ~ "a"))',
      'tokenKey:length > 3', "password ?~ '$'", `id != '' || tokenKey = '${tokenKeyB}'`]) {
      const res = await get(w.a.token, 'users', { filter })
      expectClientError(res, 400, secrets, filter)
    }
    for (const sort of ['tokenKey', '-password']) expectClientError(await get(w.a.token, 'users', { sort }), 400, secrets, sort)
  })
  it('superuser may filter by hidden fields', async () => {
    const res = await get(w.suToken, 'posts', { filter: `secret = '${secretOf()}'` })
    expect(res.status).toBe(200)
    expect(res.json.items.map((i: { id: string }) => i.id)).toEqual([w.postA1])
    expect(res.json.items[0].secret).toBe(secretOf())
    const u = await get(w.suToken, 'users', { filter: `tokenKey = '${tokenKeyB}'` })
    expect(u.status).toBe(200)
    expect(u.json.items.map((i: { id: string }) => i.id)).toEqual([w.b.id])
    expect(u.text).not.toContain(tokenKeyB) // tokenKey is never exported, even to superusers
  })
})

describe('B3 relation-path oracles', () => {
  it('owner.tokenKey / owner.password through a public collection → 400', async () => {
    for (const filter of [`owner.tokenKey ~ '${tokenKeyB.slice(0, 2)}%'`, "owner.tokenKey ~ 'a%'", "owner.password ~ '$'", '((owner.tokenKey:length > 1))', "owner.tokenKey ?~ 'a'", "vault.owner.tokenKey = 'x'"]) {
      const res = await get(w.a.token, 'board', { filter })
      expectClientError(res, 400, secrets, filter)
    }
    expectClientError(await get(w.a.token, 'board', { sort: 'owner.tokenKey' }), 400, secrets)
  })
  it('back-relation to a hidden field → 400', async () => {
    for (const filter of ["posts_via_owner.secret ~ 'zq%'", "posts_via_owner.secret ?~ 'z'"]) {
      expectClientError(await get(w.a.token, 'users', { filter }), 400, secrets, filter)
    }
  })
  it('owner.email with emailVisibility=false: a prefix search learns nothing', async () => {
    const results: string[] = []
    for (const prefix of [w.b.email.slice(0, 3), 'zzz', w.b.email, 'q']) {
      const res = await get(w.a.token, 'board', { filter: `owner.email ~ '${prefix}%'` })
      expect([200, 400]).toContain(res.status)
      expectNoLeak(res, secrets)
      if (res.status === 200) {
        expect(res.json.items.map((i: { id: string }) => i.id)).not.toContain(boardB)
        results.push(`${res.status}:${res.json.totalItems}`)
      } else results.push('400')
    }
    expect(new Set(results).size, results.join(' ')).toBe(1)
    // …and directly on users.
    for (const filter of [`email = '${w.b.email}'`, `email ~ '${w.b.email.slice(0, 4)}%'`]) {
      const res = await get(w.a.token, 'users', { filter })
      if (res.status === 200) expect(res.json.items.map((i: { id: string }) => i.id)).not.toContain(w.b.id)
      else expectClientError(res, 400, secrets, filter)
    }
  })
  it('superuser can use the same relation paths', async () => {
    const res = await get(w.suToken, 'board', { filter: `owner.email = '${w.b.email}'` })
    expect(res.status).toBe(200)
    expect(res.json.items.map((i: { id: string }) => i.id)).toEqual([boardB])
  })
  it('B13 path through a locked collection (listRule null) → 400, never silently dropped', async () => {
    for (const filter of ["vault.code ~ 'vault%'", "vault.code = 'nope'", "title != '' || vault.code ~ 'v%'"]) {
      const res = await get(w.a.token, 'board', { filter })
      expectClientError(res, 400, secrets, filter)
    }
    expectClientError(await get(w.a.token, 'board', { sort: 'vault.code' }), 400, secrets)
  })
  it('back-relation only reaches rows the caller could list (posts listRule is ANDed into the join)', async () => {
    const bTitle = await get(w.a.token, 'users', { filter: "posts_via_owner.title ?~ 'bravo'" })
    expect(bTitle.status).toBe(200)
    expect(bTitle.json.items).toEqual([])
    expect(bTitle.json.totalItems).toBe(0)
    const own = await get(w.a.token, 'users', { filter: "posts_via_owner.title ?~ 'alpha'" })
    expect(own.status).toBe(200)
    expect(own.json.items.map((i: { id: string }) => i.id)).toEqual([w.a.id])
  })
})

describe('B5 @collection / @request in client filters → 403', () => {
  it('plain and URL-encoded @collection', async () => {
    for (const token of [undefined, w.a.token]) {
      const r1 = await get(token, 'board', { filter: "@collection.users.email ~ 'a%'" })
      expectClientError(r1, 403, secrets)
      const r2 = await raw(w, 'GET', "/api/collections/board/records?filter=%40collection.users.email%7E'a%25'", { token })
      expectClientError(r2, 403, secrets)
      const r3 = await raw(w, 'GET', "/api/collections/board/records?filter=%40collection.users.email+%7E+'a%25'", { token })
      expectClientError(r3, 403, secrets)
    }
  })
  it('inside quotes, wrapped, in sort, and @request.*', async () => {
    for (const filter of ["title = '@collection.users.email'", "((@collection.users.tokenKey ?~ 'a'))", "title != '' || @collection.vault.code ~ 'v%'",
      "@request.auth.id != ''", "owner = @request.auth.id", "@request.headers.authorization ~ 'e'", "@request.query.x = ''"]) {
      expectClientError(await get(w.a.token, 'board', { filter }), 403, secrets)
    }
    expectClientError(await get(w.a.token, 'board', { sort: '@collection.users.email' }), 403, secrets)
    expectClientError(await get(w.a.token, 'board', { sort: '@request.auth.id' }), 403, secrets)
  })
  it('double-encoded or case-mangled variants are not interpreted (400/403, never rows)', async () => {
    for (const filter of ["%40collection.users.email ~ 'a%'", "@COLLECTION.users.email ~ 'a%'", "@Collection.users.email ~ 'a%'", "@ collection.users.email ~ 'a'", "@collection .users.email ~ 'a'"]) {
      const res = await get(w.a.token, 'board', { filter })
      expectClientError(res, [400, 403], secrets, filter)
    }
  })
  it('superuser may use @collection', async () => {
    const res = await get(w.suToken, 'board', { filter: `@collection.users.email ?= '${w.b.email}' && owner = '${w.b.id}'` })
    expect(res.status, res.text).toBe(200)
    expect(res.json.items.map((i: { id: string }) => i.id)).toEqual([boardB])
  })
})

describe('B11 totals respect the list rule', () => {
  it('totalItems/totalPages count only rows the caller may list', async () => {
    const a = await get(w.a.token, 'posts', { perPage: 1 })
    expect(a.json.totalItems).toBe(2)
    expect(a.json.totalPages).toBe(2)
    const b = await get(w.b.token, 'posts', {})
    expect(b.json.totalItems).toBe(1)
    expect(b.json.items.map((i: { id: string }) => i.id)).toEqual([w.postB1])
    const guest = await get(undefined, 'posts', {})
    expect(guest.status).toBe(200)
    expect(guest.json.totalItems).toBe(0)
    expect(guest.json.items).toEqual([])
  })
  it('filters that would match others’ rows do not change the counts', async () => {
    for (const filter of [`id = '${w.postB1}'`, `owner = '${w.b.id}'`, "title ~ 'bravo'", "id != ''", `owner.email = '${w.b.email}'`]) {
      const res = await get(w.a.token, 'posts', { filter })
      expect(res.status, res.text).toBe(200)
      expect(res.text).not.toContain(w.postB1)
      for (const it of res.json.items) expect(it.owner).toBe(w.a.id)
      expect(res.json.totalItems).toBe(res.json.items.length)
    }
  })
  it('skipTotal path returns the same rows and -1 totals', async () => {
    const full = await get(w.a.token, 'posts', { sort: 'title' })
    const skip = await get(w.a.token, 'posts', { sort: 'title', skipTotal: 1 })
    expect(skip.json.items).toEqual(full.json.items)
    expect(skip.json.totalItems).toBe(-1)
    expect(skip.json.totalPages).toBe(-1)
  })
})
