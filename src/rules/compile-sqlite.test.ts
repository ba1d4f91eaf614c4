// Behaviour tests: compiled filters run on a real in-memory SQLite; asserts which record ids match.
import { describe, expect, it } from 'vitest'
import type { CompileOptions } from './resolve-context.ts'
import { compileFilter } from './index.ts'
import { guestRequest } from './request-info.ts'
import { authAs, options, seededDb } from './test-schema.ts'

const db = seededDb()
const ALL = ['p1', 'p2', 'p3', 'p4']

export function ids(collection: string, filter: string, opts: Partial<CompileOptions> = {}): string[] {
  const { sql, params } = compileFilter(filter, options(collection, opts)).render()
  const rows = db.prepare(`SELECT "r"."id" AS id FROM "${collection}" AS "r" WHERE ${sql} ORDER BY "r"."id"`).all(...params)
  return (rows as { id: string }[]).map((r) => r.id)
}

const u1 = { request: authAs('u1') }
const u2 = { request: authAs('u2') }
const body = (b: Record<string, unknown>) => ({ request: guestRequest({ body: b }) })

type Case = [string, Partial<CompileOptions>, string[]]

const POSTS: Record<string, Case[]> = {
  operators: [
    ['title = "Hello World"', {}, ['p1']],
    ['title != "Hello World"', {}, ['p2', 'p3', 'p4']],
    ['views > 5', {}, ['p1', 'p4']],
    ['views >= 10', {}, ['p1', 'p4']],
    ['views < 5', {}, ['p3']],
    ['views <= 5', {}, ['p2', 'p3']],
    ['views > -1.5 && views < 10.5', {}, ALL.filter((id) => id !== 'p4')],
    ['title ~ "hello"', {}, ['p1']],
    ['title !~ "o"', {}, ['p2', 'p3']],
    ['title ~ "Lorem%"', {}, ['p4']],
    ['title ~ "100%"', {}, ['p2']],
    ['title ~ "_"', {}, ['p2']],
    ['title ~ "0\\%"', {}, ['p2']],
    ['title ~ status', {}, ['p3']],
    ['status = "active" || (status = "draft" && views = 5)', {}, ['p1', 'p2', 'p4']],
    ['status = "draft" && views = 10 || title = "Lorem ipsum"', {}, ['p4']],
    ['"Hello World" = title', {}, ['p1']],
  ],
  'null and empty folding': [
    ['title = ""', {}, ['p3']],
    ['title = null', {}, ['p3']],
    ['title != ""', {}, ['p1', 'p2', 'p4']],
    ['title != null', {}, ['p1', 'p2', 'p4']],
    ['owner = ""', {}, ['p3']],
    ['data = null', {}, ['p3']],
    ['title = status', {}, ['p3']],
    ['title != status', {}, ['p1', 'p2', 'p4']],
    ['"" = null', {}, ALL],
    ['1 = 1', {}, ALL],
    ['published = true', {}, ['p1', 'p4']],
    ['published = false', {}, ['p2', 'p3']],
    ['published != true', {}, ['p2', 'p3']],
    ['TRUE = published', {}, ['p1', 'p4']],
  ],
  'json paths': [
    ['data.theme = "dark"', {}, ['p1', 'p4']],
    ['data.theme = null', {}, ['p3']],
    ['data.missing = null', {}, ALL],
    ['data.items.1.x = 2', {}, ['p1']],
    ['data.items.0.x > 0', {}, ['p1']],
    ['data.theme:lower ~ "DAR"', {}, ['p1', 'p4']],
    ['data.theme:lower = "DARK"', {}, []],
    ['data != null', {}, ['p1', 'p2', 'p4']],
  ],
  'multi-valued: any vs all (empty set = one NULL value)': [
    ['tags ?= "t1"', {}, ['p1', 'p2']],
    ['tags = "t1"', {}, ['p2']],
    ['tags != "t1"', {}, ['p3', 'p4']],
    ['tags ?!= "t1"', {}, ['p1', 'p3', 'p4']],
    ['labels ?= "a"', {}, ['p1', 'p2']],
    ['labels = "a"', {}, ['p2']],
    ['labels = ""', {}, ['p3']],
    ['labels:each = "a"', {}, ['p2']],
    ['labels:each != ""', {}, ['p1', 'p2', 'p4']],
    ['labels:each ~ "a"', {}, ['p2']],
    ['labels:each ?~ "b"', {}, ['p1']],
    ['labels:length = 0', {}, ['p3']],
    ['labels:length > 1', {}, ['p1']],
    ['tags:length = 2', {}, ['p1']],
    ['tags.name ?= "news"', {}, ['p1', 'p2', 'p4']],
    ['tags.name = "news"', {}, ['p2', 'p4']],
    ['tags.name != "news"', {}, ['p3']],
    ['tags.name ?~ "ec"', {}, ['p1']],
    ['tags.name:lower ?= "tech"', {}, ['p1']],
    ['tags.id ?= "t2"', {}, ['p1']],
    ['tags.name ?= "news" && tags.name ?= "tech"', {}, ['p1']],
  ],
  relations: [
    ['owner.name = "Alice"', {}, ['p1']],
    ['owner.name = ""', {}, ['p3', 'p4']],
    ['owner.name:lower = "alice"', {}, ['p1']],
    ['owner.role != "admin"', {}, ['p2', 'p3', 'p4']],
    ['owner.team.name = "Blue"', {}, ['p2']],
    ['owner.team.owner.name = "Bob"', {}, ['p2']],
    ['owner.id = "u1"', {}, ['p1']],
    ['owner.team.owner.team.owner.team.name = "Red"', {}, ['p1']],
  ],
  'back-relations': [
    ['comments_via_post.message ?~ "hello"', {}, ['p1', 'p2']],
    ['comments_via_post.message ~ "hello"', {}, ['p2']],
    ['comments_via_post.author.name ?= "Bob"', {}, ['p1', 'p2']],
    ['comments_via_post = null', {}, ['p3', 'p4']],
    ['comments_via_post.post.owner.name ?= "Alice"', {}, ['p1']],
  ],
  '@request.auth': [
    ['owner = @request.auth.id', {}, ['p3']],
    ['@request.auth.id != ""', {}, []],
    ['@request.auth.id = ""', {}, ALL],
    ['@request.auth.team.name = null', {}, ALL],
    ['@request.auth.id:isset = false', {}, ALL],
    ['owner = @request.auth.id', u1, ['p1']],
    ['@request.auth.id != ""', u1, ALL],
    ['@request.auth.verified = true && status = "active"', u1, ['p1', 'p4']],
    ['@request.auth.verified = true', u2, []],
    ['@request.auth.collectionName = "users" && @request.auth.collectionId = "id_users"', u1, ALL],
    ['@request.auth.role = "admin"', u1, ALL],
    ['@request.auth.role = "admin"', u2, []],
    ['@request.auth.team.name = "Red"', u1, ALL],
    ['@request.auth.team.name = "Red"', u2, []],
    ['@request.auth.team.owner = owner', u1, ['p1']],
    ['owner.team = @request.auth.team', u2, ['p2']],
    ['@request.auth.email:lower = "alice@x.io"', u1, ALL],
  ],
  '@request.body/query/headers/method/context': [
    ['@request.body.title = title', body({ title: 'Hello World' }), ['p1']],
    ['@request.body.views = 7', body({ views: '7' }), ALL],
    ['@request.body.published = true', body({ published: 'true' }), ALL],
    ['@request.body.tags ?= "t1"', body({ tags: ['t1', 't2'] }), ALL],
    ['@request.body.tags = "t1"', body({ tags: ['t1', 't2'] }), []],
    ['@request.body.tags:length = 2', body({ tags: ['t1', 't2'] }), ALL],
    ['@request.body.tags:length = 1', body({ tags: 't1' }), ALL],
    ['@request.body.tags:each ~ "t"', body({ tags: ['t1', 't2'] }), ALL],
    ['@request.body.tags.name ?= "tech"', body({ tags: ['t2'] }), ALL],
    ['@request.body.tags.name ?= "tech"', body({ tags: ['t1'] }), []],
    ['@request.body.owner.name = "Alice"', body({ owner: 'u1' }), ALL],
    ['@request.body.data.theme = "dark"', body({ data: { theme: 'dark' } }), ALL],
    ['@request.body.data.list.1 = 5', body({ data: { list: [4, 5] } }), ALL],
    ['@request.body.role:isset = false', body({}), ALL],
    ['@request.body.role:isset = false', body({ role: 'x' }), []],
    ['@request.body.owner:isset = true', body({ owner: null }), ALL],
    ['@request.body.nothing = null', body({}), ALL],
    ['@request.body.title:changed = false', body({ title: 'Hello World' }), ['p1']],
    ['@request.body.title:changed = true', body({ title: 'Hello World' }), ['p2', 'p3', 'p4']],
    ['@request.body.title:changed = false', body({}), ALL],
    ['@request.body.labels:changed = true', body({ labels: ['a'] }), ['p1', 'p3', 'p4']],
    ['@request.body.views:changed = false', body({ views: '10' }), ['p1']],
    ['@request.body.title:lower = "abc"', body({ title: 'ABC' }), ALL],
    ['@request.query.q = "x" && @request.query.q:isset = true', { request: guestRequest({ query: { q: 'x' } }) }, ALL],
    ['@request.query.missing = null && @request.query.missing:isset = false', {}, ALL],
    ['@request.headers.x_token = "abc"', { request: guestRequest({ headers: { x_token: 'abc' } }) }, ALL],
    ['@request.headers.x_token = "abc"', { request: guestRequest({ query: { x_token: 'abc' } }) }, []],
    ['@request.method = "GET" && @request.context = "default"', {}, ALL],
    ['@request.method = "POST"', {}, []],
  ],
  '@collection (joined once per alias within an && group)': [
    ['@collection.memberships.user ?= @request.auth.id && @collection.memberships.team ?= owner.team', u2, ['p1', 'p2']],
    ['@collection.memberships.user ?= @request.auth.id && @collection.memberships.team ?= owner.team', u1, ['p1']],
    // Same row: u1's only membership is an "owner" one, so this must not match (independent EXISTS would).
    ['@collection.memberships.user ?= @request.auth.id && @collection.memberships.role ?= "member"', u1, []],
    ['@collection.memberships.user ?= @request.auth.id && (@collection.memberships.role ?= "member" || title = "x")', u2, ALL],
    ['@collection.memberships.role ?= "nope" || title = "Lorem ipsum"', {}, ['p4']],
    ['@collection.MEMBERSHIPS.role ?= "owner"', {}, ALL],
    ['@collection.memberships.role = "owner"', {}, []],
    ['@collection.memberships.user != ""', {}, ALL],
    [
      '@collection.memberships:mine.user ?= @request.auth.id && @collection.memberships:other.team ?= @collection.memberships:mine.team' +
      ' && @collection.memberships:other.role ?= "owner" && @collection.memberships:other.user ?!= @request.auth.id',
      u1, [],
    ],
    [
      '@collection.memberships:mine.user ?= @request.auth.id && @collection.memberships:other.team ?= @collection.memberships:mine.team' +
      ' && @collection.memberships:other.role ?= "owner" && @collection.memberships:other.user ?!= @request.auth.id',
      u2, ALL,
    ],
    ['@collection.comments.post ?= id && @collection.comments.author ?= owner', {}, ['p1', 'p2']],
    ['@collection.comments.post ?= id && @collection.comments.author ?= "u1"', {}, ['p1']],
  ],
  'macros (now = 2024-05-01 12:34:56.789Z, a Wednesday)': [
    ['created >= @todayStart && created <= @todayEnd', {}, ['p1', 'p4']],
    ['created > @now', {}, ['p2', 'p3', 'p4']],
    ['created < @yesterday', {}, []],
    ['created > @tomorrow', {}, ['p3']],
    ['created >= @monthStart && created <= @monthEnd', {}, ['p1', 'p2', 'p4']],
    ['created >= @yearStart && created <= @yearEnd', {}, ALL],
    ['@year = 2024 && @month = 5 && @day = 1 && @hour = 12 && @minute = 34 && @second = 56 && @weekday = 3', {}, ALL],
  ],
  'documented examples (reference §2.6b)': [
    ['status = "active" || (status = "draft" && owner = @request.auth.id)', u2, ['p1', 'p2', 'p4']],
    ['comments_via_post.author ?= @request.auth.id', u1, ['p1']],
    ['comments_via_post.author ?= @request.auth.id', u2, ['p1', 'p2']],
    ['labels:length > 1 && labels:each != ""', {}, ['p1']],
    ['@request.body.tags:length = 0 && @request.body.tags:isset = false', body({}), ALL],
    ['@request.body.title:each = "x"', body({ title: 'x' }), ALL],
    ['@request.auth.team = "tm1"', u1, ALL],
    ['@request.auth.team:isset = true && @request.auth.nope:isset = false', u1, ALL],
    ['@request.auth.nope = null', u1, ALL],
    ['@collection.users.email ?= "bob@x.io"', {}, ALL],
  ],
  functions: [
    ["strftime('%Y-%m', created) = '2024-06'", {}, ['p3']],
    ["strftime('%Y-%m-%d', created, '+1 day') = '2024-05-02'", {}, ['p1', 'p4']],
    ["strftime('%Y', data.missing) = ''", {}, ALL],
  ],
}

describe.each(Object.entries(POSTS))('posts filters: %s', (_group, cases) => {
  it.each(cases)('%s', (filter, opts, expected) => {
    expect(ids('posts', filter, opts)).toEqual(expected)
  })
})

describe('main row from a one-row subselect (create rules)', () => {
  it('resolves fields, relations and back-relations against the submitted values', () => {
    const { sql, params } = compileFilter('owner.name = "Alice" && title = "new" && comments_via_post.id = null', options('posts')).render()
    const row = db.prepare(`SELECT "r"."id" AS id FROM (SELECT ? AS "id", ? AS "title", ? AS "owner") AS "r" WHERE ${sql}`)
    expect(row.all('tmp', 'new', 'u1', ...params)).toEqual([{ id: 'tmp' }])
    expect(row.all('p1', 'new', 'u1', ...params)).toEqual([])
  })
})

describe('restricted mode (client filter of a non-superuser)', () => {
  const r = (o: Partial<CompileOptions> = {}) => ({ restricted: true, ...o })
  it.each([
    ['posts', 'tags.name ?= "news"', r(), ['p1', 'p2']],
    ['posts', 'tags.name = "news"', r(), ['p2']],
    ['posts', 'owner.email ~ "x.io"', r(), ['p1', 'p4']],
    ['posts', 'owner.email ~ "bob"', r(), []],
    ['posts', 'owner.email ~ "bob"', r(u2), ['p2']],
    ['posts', 'owner.email ~ "bob"', {}, ['p2']],
    ['users', 'email = "bob@x.io"', r(), []],
    ['users', 'email = "bob@x.io"', r(u2), ['u2']],
    ['users', 'email != "nobody"', r(), ['u1', 'u3']],
    ['comments', 'post.title ~ "hello"', r(), []],
    ['comments', 'post.title ~ "hello"', r(u1), ['c1', 'c2']],
    ['comments', 'post.title ~ "hello"', {}, ['c1', 'c2']],
    ['posts', 'secret = "s1"', {}, ['p1']],
    ['posts', 'vault.code = "secret-code"', {}, ['p1']],
    ['posts', 'vault = "v1"', r(), ['p1']],
    ['posts', '@collection.users.email ?= "bob@x.io"', r(), []],
    ['posts', '@collection.users.email ?= "alice@x.io"', r(), ALL],
  ] as [string, string, Partial<CompileOptions>, string[]][])('%s: %s', (collection, filter, opts, expected) => {
    expect(ids(collection, filter, opts)).toEqual(expected)
  })

  it.each([
    ['posts', 'secret = "s1"', /not filterable/],
    ['posts', 'secret:lower ~ "s"', /not filterable/],
    ['posts', '((title = "x" || (secret ?= "s1")))', /not filterable/],
    ['posts', 'owner.tokenKey ~ "k%"', /not filterable/],
    ['posts', 'owner.password != ""', /not filterable/],
    ['posts', 'comments_via_post.post.secret ?= "s1"', /not filterable/],
    ['users', 'tokenKey ~ "k"', /not filterable/],
    ['posts', 'vault.code = "x"', /list rule is superusers only/],
    ['comments', 'post.vault.code ?= "x"', /list rule is superusers only/],
  ])('%s: %s -> RuleError', (collection, filter, message) => {
    expect(() => ids(collection, filter, { restricted: true, request: authAs('u1') })).toThrow(message)
  })
})
