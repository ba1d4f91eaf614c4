// SECURITY.md A1/A3/A5/A7/A9/A11/J1: injection and abuse through filter, sort, fields, expand and paging.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { allSecrets, expectClientError, expectNoLeak, q, raw, setupWorld, snapshot, type World } from './fixture.ts'

let w: World
let secrets: string[]
let before: string
const list = '/api/collections/posts/records'

beforeAll(async () => {
  w = await setupWorld()
  secrets = await allSecrets(w)
  before = await snapshot(w)
})
afterAll(async () => {
  // Nothing any hostile request did may have changed the data.
  if (w) expect(await snapshot(w)).toBe(before)
  await w?.close()
})

const listAs = (token: string | undefined, params: Record<string, string | number>) => raw(w, 'GET', list + q(params), { token })

describe('A1/A3 SQL and identifier injection', () => {
  const badFilters = [
    "title='a') OR 1=1 --",
    "title='a' OR 1=1",
    "title=''; DROP TABLE posts; --",
    'title"=1 OR "1"="1\'',
    "title = 'x' UNION SELECT password FROM users --",
    '1=1) OR (1=1',
    'id = (SELECT id FROM users)',
    "title ~ 'a' ESCAPE 'x'",
    '`title` = 1',
    '[title] = 1',
    'title = 1; --',
    "title = 'unterminated",
    'title = "a" /* comment */',
    'owner.`id` = 1',
    'title = x\'41\'',
    'title == "a"',
    'title = sqlite_version()',
    'load_extension("x") = 1',
    'title = strftime(\'%s\', \'now\') || 1',
  ]
  for (const filter of badFilters) {
    it(`filter ${JSON.stringify(filter)} → 400, no leak, no foreign rows`, async () => {
      for (const token of [undefined, w.a.token]) {
        const res = await listAs(token, { filter })
        if (res.status === 200) {
          // Only acceptable if it parsed as a harmless literal comparison within the list rule.
          for (const it of res.json.items) expect(it.owner).toBe(token ? w.a.id : '__none__')
          expectNoLeak(res, secrets)
        } else {
          expectClientError(res, 400, secrets, filter)
          expect(res.json.data).toEqual({})
        }
      }
    })
  }

  const badSorts = ['-(SELECT 1)', 'title;DROP TABLE posts', 'title DESC', 'title asc', '(title)', 'RANDOM()', 'secret', '-secret', 'owner.tokenKey', 'owner.password', "title COLLATE NOCASE", '1', '@collection.users.email']
  for (const sort of badSorts) {
    it(`sort ${JSON.stringify(sort)} → 4xx, no leak`, async () => {
      const res = await listAs(w.a.token, { sort })
      expectClientError(res, [400, 403], secrets)
    })
  }

  it('sort is allowed for superusers on hidden fields but never executes SQL fragments', async () => {
    expect((await listAs(w.suToken, { sort: '-secret' })).status).toBe(200)
    const res = await listAs(w.suToken, { sort: 'title;DROP TABLE posts' })
    expectClientError(res, 400)
  })

  const badFields = ['id,(select password from users)', 'id,title:excerpt(1);drop', 'id,:excerpt(10)', 'a'.repeat(5000), 'id,title:lower']
  for (const fields of badFields) {
    it(`fields ${JSON.stringify(fields.slice(0, 40))} → 200 narrowed or 400, never a leak`, async () => {
      const res = await listAs(w.a.token, { fields })
      if (res.status !== 200) expectClientError(res, 400, secrets)
      else expectNoLeak(res, secrets)
    })
  }

  const badExpands = ['owner;DROP TABLE users', 'owner)', "owner' OR 1=1", '../users', 'owner.(select 1)', '@collection.users']
  for (const expand of badExpands) {
    it(`expand ${JSON.stringify(expand)} → 200 ignored or 400, never a leak`, async () => {
      const res = await listAs(w.a.token, { expand })
      if (res.status !== 200) expectClientError(res, 400, secrets)
      else {
        expectNoLeak(res, secrets)
        for (const it of res.json.items) expect(it.owner).toBe(w.a.id)
      }
    })
  }
})

describe('A5 fields can only narrow', () => {
  it('fields=*,password,tokenKey,secret,expand.owner.tokenKey → 200 without them', async () => {
    // Owner's own user record is viewable (users viewRule id = @request.auth.id), so expand happens.
    const res = await listAs(w.a.token, { fields: '*,password,tokenKey,secret,expand.owner.tokenKey,expand.owner.password,expand.owner.email,expand.owner.id', expand: 'owner' })
    expect(res.status).toBe(200)
    expect(res.json.items).toHaveLength(2)
    for (const it of res.json.items) {
      expect(it).not.toHaveProperty('password')
      expect(it).not.toHaveProperty('tokenKey')
      expect(it).not.toHaveProperty('secret')
      expect(it.expand.owner.id).toBe(w.a.id)
      expect(it.expand.owner).not.toHaveProperty('tokenKey')
      expect(it.expand.owner).not.toHaveProperty('password')
    }
    expectNoLeak(res, secrets)
  })

  it('the same on view, and on the users collection itself', async () => {
    const v = await raw(w, 'GET', `${list}/${w.postA1}${q({ fields: 'secret,password,tokenKey,id' })}`, { token: w.a.token })
    expect(v.status).toBe(200)
    expect(v.json).toEqual({ id: w.postA1 })
    const u = await raw(w, 'GET', `/api/collections/users/records/${w.a.id}${q({ fields: '*,password,tokenKey,passwordConfirm' })}`, { token: w.a.token })
    expect(u.status).toBe(200)
    expect(u.json).not.toHaveProperty('password')
    expect(u.json).not.toHaveProperty('tokenKey')
    expectNoLeak(u, secrets)
  })

  it('B expanding owner of nothing: no other users leak through expand', async () => {
    const res = await listAs(w.b.token, { expand: 'owner', fields: '*,expand.owner.email' })
    expect(res.status).toBe(200)
    expect(res.json.items.map((i: { id: string }) => i.id)).toEqual([w.postB1])
    expect(res.text).not.toContain(w.a.email)
    expect(res.text).not.toContain(w.a.id)
  })
})

describe('A7 deep and huge expand', () => {
  it('owner.owner.… ×50 → 400 or capped, never 500', async () => {
    const res = await listAs(w.a.token, { expand: Array(50).fill('owner').join('.') })
    if (res.status !== 200) expectClientError(res, 400, secrets)
    else expectNoLeak(res, secrets)
  })
  it('expand=a,a,a… ×10000 → 400 or ignored, fast', async () => {
    const t0 = Date.now()
    const res = await listAs(w.a.token, { expand: Array(10000).fill('owner').join(',') })
    expect(Date.now() - t0).toBeLessThan(3000)
    // An over-long URL may be refused by Node's HTTP parser itself (431, empty body).
    if (res.status === 431 || res.status === 414) expectNoLeak(res, secrets)
    else if (res.status !== 200) expectClientError(res, 400, secrets)
    else expectNoLeak(res, secrets)
  })
  it('unknown and back-relation expands into users → ignored, never 500', async () => {
    const res = await listAs(w.a.token, { expand: 'nope,posts_via_owner,users_via_owner,owner.posts_via_owner.owner' })
    expect([200, 400]).toContain(res.status)
    expectNoLeak(res, secrets)
    if (res.status === 200) expect(res.text).not.toContain(w.postB1)
  })
})

describe('A9 paging garbage', () => {
  const cases: Record<string, string>[] = [
    { perPage: '1000000' }, { perPage: '-5' }, { page: '0' }, { page: '-1' }, { page: '1e308' }, { page: 'NaN' },
    { perPage: 'Infinity' }, { page: '99999999999999999999' }, { perPage: '1.5' }, { page: ' 1' }, { page: '0x10' },
    { skipTotal: 'yes' }, { skipTotal: '2' }, { page: '', perPage: '' },
  ]
  for (const params of cases) {
    it(`${JSON.stringify(params)} → clamped 200 or 400, never a driver error`, async () => {
      const res = await listAs(w.a.token, params)
      if (res.status === 200) {
        expect(res.json.perPage).toBeGreaterThan(0)
        expect(res.json.perPage).toBeLessThanOrEqual(1000)
        expect(res.json.page).toBeGreaterThanOrEqual(1)
        for (const it of res.json.items) expect(it.owner).toBe(w.a.id)
        expectNoLeak(res, secrets)
      } else expectClientError(res, 400, secrets)
    })
  }
  it('perPage=1000000 is clamped to 1000', async () => {
    const res = await listAs(w.a.token, { perPage: '1000000' })
    expect(res.status).toBe(200)
    expect(res.json.perPage).toBe(1000)
  })
})

describe('A11 parameter pollution', () => {
  const path = (pairs: [string, string][]) => list + '?' + pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')

  it('filter twice → one value used consistently, never 500', async () => {
    const res = await raw(w, 'GET', path([['filter', 'title = "alpha one"'], ['filter', 'title = "alpha two"']]), { token: w.a.token })
    expect(res.status, res.text).toBe(200)
    const titles = res.json.items.map((i: { title: string }) => i.title)
    // Documented: the FIRST value wins (same as @request.query and PocketBase's url.Values.Get).
    expect(titles).toEqual(['alpha one'])
  })

  it('a forbidden second filter is not smuggled past the @request check (first wins, or 403)', async () => {
    const res = await raw(w, 'GET', path([['filter', 'title != ""'], ['filter', '@collection.users.email ~ "a%"']]), { token: w.a.token })
    expect([200, 403]).toContain(res.status)
    expectNoLeak(res, secrets)
    const res2 = await raw(w, 'GET', path([['filter', '@collection.users.email ~ "a%"'], ['filter', 'title != ""']]), { token: w.a.token })
    expectClientError(res2, 403, secrets)
  })

  it('hidden field in a second filter value is not evaluated', async () => {
    const secret = w.secrets[w.postA1]
    const res = await raw(w, 'GET', path([['filter', 'title != ""'], ['filter', `secret = "${secret}"`]]), { token: w.a.token })
    expect(res.status).toBe(200)
    expect(res.json.totalItems).toBe(2)
  })

  it('sort, expand, fields, page, perPage, skipTotal twice → never 500', async () => {
    for (const [k, v1, v2] of [['sort', 'title', '-title'], ['expand', 'owner', 'owner'], ['fields', 'id', 'title'], ['page', '1', '2'], ['perPage', '1', '2'], ['skipTotal', '1', '0']]) {
      const res = await raw(w, 'GET', path([[k, v1], [k, v2]]), { token: w.a.token })
      expect([200, 400], `${k}: ${res.text}`).toContain(res.status)
      expectNoLeak(res, secrets)
    }
    const sorted = await raw(w, 'GET', path([['sort', 'title'], ['sort', '-title']]), { token: w.a.token })
    expect(sorted.json.items.map((i: { title: string }) => i.title)).toEqual(['alpha one', 'alpha two'])
    const view = await raw(w, 'GET', `${list}/${w.postA1}?expand=owner&expand=owner&fields=id&fields=title`, { token: w.a.token })
    expect(view.status, view.text).toBe(200)
    expect(view.json).toEqual({ id: w.postA1 })
  })
})

describe('J1 pathological filters', () => {
  it('filter longer than 3500 chars → 400', async () => {
    const filter = 'title = "' + 'x'.repeat(3600) + '"'
    expectClientError(await listAs(w.a.token, { filter }), 400, secrets)
  })
  it('201+ expressions → 400', async () => {
    const filter = Array(210).fill('id != ""').join('||')
    expect(filter.length).toBeLessThan(3500)
    expectClientError(await listAs(w.a.token, { filter }), 400, secrets)
  })
  it('"(" ×10000 → 400 without crashing; server still healthy', async () => {
    for (const filter of ['('.repeat(10000), '('.repeat(1700) + 'id != ""' + ')'.repeat(1700), ')'.repeat(3000), '!'.repeat(3000) + 'id']) {
      const res = await listAs(w.a.token, { filter })
      expectClientError(res, 400, secrets)
    }
    expect((await raw(w, 'GET', '/api/health')).status).toBe(200)
  })
  it('deep function nesting and odd tokens → 400', async () => {
    for (const filter of ['strftime(strftime(strftime(strftime(strftime("%Y")))))= 1', 'title ~ ' + '"%"'.repeat(10), 'title = @nope', 'title:nope = 1', 'title.x.y.z = 1', '@now.x = 1', 'owner.owner.owner.owner.owner.owner.owner.id = 1', '\u0000 = 1', 'title = "\u00ff\u0001"']) {
      const res = await listAs(w.a.token, { filter })
      if (res.status === 200) expectNoLeak(res, secrets)
      else expectClientError(res, [400, 403], secrets)
    }
  })
})
