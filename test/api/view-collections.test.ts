// View collections: a SELECT as a read-only collection (fields inferred, rules, list path), dry-run-view, hostile queries.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type PocketBase from 'pocketbase'
import { startServer, type TestServer } from '../support/server.ts'
import { codeOf, failure, signUp } from './helpers.ts'

let s: TestServer
let su: PocketBase
let alice: Awaited<ReturnType<typeof signUp>>

beforeAll(async () => {
  s = await startServer()
  su = await s.superuser()
  alice = await signUp(s, { data: { name: 'Alice' } })
  await su.collections.create({
    name: 'posts', type: 'base', listRule: '', viewRule: '', createRule: '',
    fields: [
      { name: 'title', type: 'text', max: 100 },
      { name: 'views', type: 'number' },
      { name: 'published', type: 'bool' },
      { name: 'author', type: 'relation', collectionId: '_pb_users_auth_', maxSelect: 1 },
    ],
  })
  for (const [title, views, published] of [['first', 10, true], ['second', 20, true], ['draft', 5, false]] as const) {
    await su.collection('posts').create({ title, views, published, author: alice.record.id })
  }
})
afterAll(async () => { await s?.close() })

// Portable SQL (docs/views.md): booleans are stored as 1/0 and mixed-case identifiers are double-quoted.
const PUBLISHED = 'SELECT id, title, views, author FROM posts WHERE published = 1'

describe('view collections', () => {
  it('infers fields from the query: id, copied fields (relation included), expressions by type', async () => {
    const c = await su.collections.create({ name: 'published_posts', type: 'view', viewQuery: PUBLISHED, listRule: '', viewRule: '' })
    expect(c).toMatchObject({ type: 'view', viewQuery: PUBLISHED, createRule: null, updateRule: null, deleteRule: null, indexes: [] })
    const byName = Object.fromEntries(c.fields.map((f: any) => [f.name, f]))
    expect(Object.keys(byName)).toEqual(['id', 'title', 'views', 'author'])
    expect(byName.id).toMatchObject({ type: 'text', primaryKey: true, system: true })
    expect(byName.title).toMatchObject({ type: 'text', max: 100, system: false })
    expect(byName.views.type).toBe('number')
    expect(byName.author).toMatchObject({ type: 'relation', collectionId: '_pb_users_auth_', maxSelect: 1 })

    const stats = await su.collections.create({
      name: 'author_stats', type: 'view', listRule: '',
      viewQuery: 'SELECT author AS id, COUNT(*) AS total, SUM(views) AS "allViews", MAX(title) AS "lastTitle" FROM posts GROUP BY author',
    })
    const types = Object.fromEntries(stats.fields.map((f: any) => [f.name, f.type]))
    expect(types).toMatchObject({ id: 'text', total: 'number', allViews: 'number', lastTitle: 'text' })
    const [row] = (await s.client().collection('author_stats').getFullList()) as any[]
    expect(row).toMatchObject({ id: alice.record.id, total: 3, allViews: 35, lastTitle: 'second' })
  })

  it('lists, views, filters, sorts and expands through the normal record API, under the view rules', async () => {
    const guest = s.client()
    const list = await guest.collection('published_posts').getList(1, 10, { sort: '-views', expand: 'author' })
    expect(list.totalItems).toBe(2)
    expect(list.items.map((r) => r.title)).toEqual(['second', 'first'])
    expect(list.items[0]).toMatchObject({ collectionName: 'published_posts', views: 20 })
    expect(list.items[0].expand?.author).toBeUndefined() // users' view rule hides alice from guests
    const own = await alice.pb.collection('published_posts').getList(1, 10, { filter: 'views > 15', expand: 'author' })
    expect(own.items.map((r) => r.title)).toEqual(['second'])
    expect(own.items[0].expand?.author).toMatchObject({ id: alice.record.id, name: 'Alice' })
    expect((await failure(guest.collection('published_posts').getList(1, 10, { sort: '@rowid' }))).status).toBe(400)
    const one = await guest.collection('published_posts').getOne(list.items[1].id)
    expect(one.title).toBe('first')

    await su.collections.update('published_posts', { listRule: 'views > 15' })
    expect((await guest.collection('published_posts').getFullList()).map((r) => r.title)).toEqual(['second'])
    await su.collections.update('published_posts', { listRule: null })
    expect((await failure(guest.collection('published_posts').getList())).status).toBe(403)
    await su.collections.update('published_posts', { listRule: '' })
  })

  it('is read-only: create, update, delete and truncate answer 400 "Unsupported collection type."', async () => {
    const [rec] = await su.collection('published_posts').getFullList()
    for (const attempt of [
      () => su.collection('published_posts').create({ title: 'x' }),
      () => su.collection('published_posts').update(rec.id, { title: 'x' }),
      () => su.collection('published_posts').delete(rec.id),
      () => su.collections.truncate('published_posts'),
    ]) {
      const f = await failure(attempt())
      expect(f.status).toBe(400)
      expect(f.body.message).toBe('Unsupported collection type.')
    }
    expect((await su.collection('posts').getFullList()).length).toBe(3)
  })

  it('follows its query when it is updated (fields re-inferred, view re-created, renamed)', async () => {
    const c = await su.collections.update('published_posts', { name: 'popular', viewQuery: 'SELECT id, title FROM posts WHERE views >= 10' })
    expect(c.fields.map((f: any) => f.name)).toEqual(['id', 'title'])
    expect((await su.collection('popular').getFullList({ sort: 'title' })).map((r) => r.title)).toEqual(['first', 'second'])
    expect((await failure(su.collection('published_posts').getList())).status).toBe(404)
  })

  it('refuses queries without an id column, with errors, or that are not one read-only SELECT; nothing changes', async () => {
    const bad = [
      'SELECT title FROM posts',
      'SELECT id FROM no_such_table',
      'SELECT id FROM posts; DROP TABLE posts',
      "SELECT id FROM posts WHERE title = 'a'; DELETE FROM posts",
      'DELETE FROM posts',
      "INSERT INTO posts (id, title) VALUES ('zzzzzzzzzzzzzzz', 'x') RETURNING id",
      "UPDATE posts SET title = 'hacked' RETURNING id",
      'WITH d AS (DELETE FROM posts RETURNING id) SELECT id FROM d',
      "SELECT id FROM (SELECT 1 AS id) AS x) AS q; DROP TABLE posts; SELECT * FROM (SELECT 1 AS id",
      "SELECT E'\\'' AS id; DROP TABLE posts; --'",
      '',
    ]
    for (const viewQuery of bad) {
      const f = await failure(su.collections.create({ name: 'bad_view', type: 'view', viewQuery }))
      expect(f.status, viewQuery).toBe(400)
      expect(codeOf(f, 'viewQuery'), viewQuery).toMatch(/^validation_/)
    }
    expect((await failure(su.collections.getOne('bad_view'))).status).toBe(404)
    const posts = await su.collection('posts').getFullList({ sort: 'title' })
    expect(posts.map((r) => r.title)).toEqual(['draft', 'first', 'second'])
  })

  it('never leaks password hashes, token keys or emails of auth collections to non-superusers', async () => {
    const c = await su.collections.create({
      name: 'people', type: 'view', listRule: '', viewRule: '',
      viewQuery: 'SELECT id, email, password, "tokenKey", name FROM users',
    })
    const hidden = Object.fromEntries(c.fields.map((f: any) => [f.name, f.hidden]))
    expect(hidden).toMatchObject({ email: true, password: true, tokenKey: true, name: false })
    const seen = await s.client().collection('people').getFullList()
    expect(seen.length).toBeGreaterThan(0)
    for (const r of seen) {
      expect(Object.keys(r).sort()).toEqual(['collectionId', 'collectionName', 'id', 'name'])
    }
    for (const filter of ['tokenKey != ""', 'password != ""', `email = "${alice.email}"`]) {
      expect((await failure(s.client().collection('people').getList(1, 10, { filter }))).status, filter).toBe(400)
    }
    const bySuperuser = (await su.collection('people').getFullList()).find((r) => r.id === alice.record.id)!
    expect(bySuperuser.email).toBe(alice.email)
    expect(bySuperuser).not.toHaveProperty('password')

    // The superuser may show emails on purpose; password and token key stay hidden whatever is sent.
    const shown = await su.collections.update('people', { fields: [{ name: 'email', hidden: false }, { name: 'tokenKey', hidden: false }] })
    expect(Object.fromEntries(shown.fields.map((f: any) => [f.name, f.hidden]))).toMatchObject({ email: false, tokenKey: true })
    const again = (await s.client().collection('people').getFullList()).find((r) => r.id === alice.record.id)!
    expect(again.email).toBe(alice.email)
    expect(again).not.toHaveProperty('tokenKey')
    await su.collections.delete('people')

    // An expression over a secret has no source field: it starts hidden when the query names one.
    const derived = await su.collections.create({
      name: 'derived', type: 'view', listRule: '',
      viewQuery: 'SELECT id, lower(password) AS pw, upper("tokenKey") AS tk, name FROM users',
    })
    expect(Object.fromEntries(derived.fields.map((f: any) => [f.name, f.hidden]))).toMatchObject({ pw: true, tk: true, name: false })
    for (const r of await s.client().collection('derived').getFullList()) expect(Object.keys(r).sort()).toEqual(['collectionId', 'collectionName', 'id', 'name'])
    await su.collections.delete('derived')
  })

  it('a collection a view depends on cannot be deleted; the view can', async () => {
    await su.collections.create({ name: 'notes', type: 'base', fields: [{ name: 'body', type: 'text' }] })
    await su.collections.create({ name: 'notes_view', type: 'view', viewQuery: 'SELECT id, body FROM notes' })
    const f = await failure(su.collections.delete('notes'))
    expect(f.status).toBe(400)
    expect(f.body.message).toMatch(/view/)
    expect((await su.collections.getOne('notes')).name).toBe('notes')
    await su.collections.delete('notes_view')
    await su.collections.delete('notes')
  })
})

describe('POST /api/collections/meta/dry-run-view', () => {
  it('returns up to 10 sample rows decoded through the inferred fields', async () => {
    const rows = await su.collections.dryRunViewQuery('SELECT id, title, views FROM posts ORDER BY views')
    expect(rows).toEqual([
      { id: expect.any(String), title: 'draft', views: 5 },
      { id: expect.any(String), title: 'first', views: 10 },
      { id: expect.any(String), title: 'second', views: 20 },
    ])
  })

  it('answers 400 for a bad query and is for superusers only', async () => {
    const f = await failure(su.collections.dryRunViewQuery('DELETE FROM posts'))
    expect(f.status).toBe(400)
    expect(codeOf(f, 'query')).toBe('validation_invalid_view_query')
    expect((await failure(s.client().collections.dryRunViewQuery('SELECT id FROM posts'))).status).toBe(401)
    expect((await failure(alice.pb.collections.dryRunViewQuery('SELECT id FROM posts'))).status).toBe(403)
    expect((await su.collection('posts').getFullList()).length).toBe(3)
  })
})
