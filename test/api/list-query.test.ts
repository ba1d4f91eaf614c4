// List queries end-to-end: paging, sort, the filter grammar, expand and fields.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type PocketBase from 'pocketbase'
import { startServer, type TestServer } from '../support/server.ts'
import { failure, raw } from './helpers.ts'

let s: TestServer
let su: PocketBase
let guest: PocketBase
const ids: Record<string, string> = {}

beforeAll(async () => {
  s = await startServer()
  su = await s.superuser()
  guest = s.client()
  const authors = await su.collections.create({
    name: 'authors', fields: [{ name: 'name', type: 'text' }, { name: 'country', type: 'text' }],
    listRule: 'country != "hidden"', viewRule: 'country != "hidden"',
  })
  const books = await su.collections.create({
    name: 'books', listRule: '', viewRule: '',
    fields: [
      { name: 'title', type: 'text' },
      { name: 'pages', type: 'number' },
      { name: 'genres', type: 'select', values: ['sf', 'fantasy', 'horror', 'drama'], maxSelect: 4 },
      { name: 'author', type: 'relation', collectionId: authors.id, maxSelect: 1 },
      { name: 'coauthors', type: 'relation', collectionId: authors.id, maxSelect: 5 },
      { name: 'published', type: 'bool' },
      { name: 'meta', type: 'json' },
      { name: 'summary', type: 'editor' },
      { name: 'created', type: 'autodate', onCreate: true },
    ],
  })
  await su.collections.create({
    name: 'reviews', listRule: '', viewRule: '',
    fields: [{ name: 'book', type: 'relation', collectionId: books.id, maxSelect: 1 }, { name: 'text', type: 'text' }, { name: 'stars', type: 'number' }],
  })
  for (const [name, country] of [['ann', 'uk'], ['bob', 'us'], ['cid', 'hidden']]) {
    ids[name] = (await su.collection('authors').create({ name, country })).id
  }
  const rows = [
    { title: 'Alpha', pages: 100, genres: ['sf'], author: ids.ann, coauthors: [ids.bob], published: true, meta: { lang: 'en', n: 1 }, summary: '<p>Hello <b>world</b> of books</p>' },
    { title: 'Beta', pages: 250, genres: ['sf', 'fantasy'], author: ids.bob, published: false, meta: { lang: 'de' } },
    { title: 'Gamma', pages: 50, genres: [], author: ids.cid, coauthors: [ids.ann, ids.bob], published: true },
    { title: 'delta', pages: 0, genres: ['horror'], published: false, meta: { lang: 'en' } },
    { title: 'Epsilon 100%', pages: 400, genres: ['drama', 'sf'], author: ids.ann, coauthors: [ids.ann], published: true },
  ]
  for (const r of rows) ids[r.title] = (await su.collection('books').create(r)).id
  for (const [book, text, stars] of [['Alpha', 'great read', 5], ['Alpha', 'meh', 2], ['Beta', 'great', 4]] as const) {
    await su.collection('reviews').create({ book: ids[book], text, stars })
  }
})
afterAll(async () => { await s?.close() })

const titles = async (pb: PocketBase, filter: string, sort = 'title') =>
  (await pb.collection('books').getFullList({ filter, sort })).map((r) => r.title)

describe('paging', () => {
  it('page / perPage / totals', async () => {
    const res = await guest.collection('books').getList(2, 2, { sort: 'pages' })
    expect(res).toMatchObject({ page: 2, perPage: 2, totalItems: 5, totalPages: 3 })
    expect(res.items.map((r) => r.pages)).toEqual([100, 250])
    const last = await guest.collection('books').getList(3, 2, { sort: 'pages' })
    expect(last.items.map((r) => r.pages)).toEqual([400])
    expect((await guest.collection('books').getList(9, 2)).items).toEqual([])
  })

  it('defaults to page 1 / perPage 30 and clamps perPage to 1000, echoing it back', async () => {
    const def = await raw(s, '/api/collections/books/records')
    expect(def.json).toMatchObject({ page: 1, perPage: 30, totalItems: 5, totalPages: 1 })
    const big = await guest.collection('books').getList(1, 5000)
    expect(big.perPage).toBe(1000)
    expect(big.items).toHaveLength(5)
  })

  it('skipTotal returns -1 totals', async () => {
    const res = await guest.collection('books').getList(1, 2, { skipTotal: true })
    expect(res).toMatchObject({ totalItems: -1, totalPages: -1 })
    expect(res.items).toHaveLength(2)
  })

  it('non-integer page / perPage → 400', async () => {
    expect((await raw(s, '/api/collections/books/records?page=abc')).status).toBe(400)
    expect((await raw(s, '/api/collections/books/records?perPage=1.5x')).status).toBe(400)
  })
})

describe('sort', () => {
  it.each([
    ['pages', [0, 50, 100, 250, 400]],
    ['-pages', [400, 250, 100, 50, 0]],
    ['+pages', [0, 50, 100, 250, 400]],
    ['published,-pages', [250, 0, 400, 100, 50]],
    ['-published,pages', [50, 100, 400, 0, 250]],
  ])('sort=%s', async (sort, expected) => {
    expect((await guest.collection('books').getFullList({ sort })).map((r) => r.pages)).toEqual(expected)
  })

  it('@random returns every row', async () => {
    const rnd = await guest.collection('books').getFullList({ sort: '@random' })
    expect(rnd.map((r) => r.title).sort()).toEqual(['Alpha', 'Beta', 'Epsilon 100%', 'Gamma', 'delta'])
  })

  it('-@rowid is newest first (PostgreSQL may reject it with 400, docs/operations.md)', async () => {
    const res = await guest.collection('books').getFullList({ sort: '-@rowid' }).catch((e: { status: number }) => e)
    if (!Array.isArray(res)) {
      expect(process.env.BASALT_TEST_STORE).toBe('postgres')
      expect(res.status).toBe(400)
    } else expect(res.map((r) => r.title)).toEqual(['Epsilon 100%', 'delta', 'Gamma', 'Beta', 'Alpha'])
  })

  it('an unknown sort field → 400', async () => {
    expect((await failure(guest.collection('books').getList(1, 10, { sort: 'nope' }))).status).toBe(400)
  })
})

describe('filter grammar', () => {
  it.each([
    ['title = "Alpha"', ['Alpha']],
    ["title = 'Alpha'", ['Alpha']],
    ['title != "Alpha"', ['Beta', 'Epsilon 100%', 'Gamma', 'delta']],
    ['pages > 100', ['Beta', 'Epsilon 100%']],
    ['pages >= 100', ['Alpha', 'Beta', 'Epsilon 100%']],
    ['pages < 100', ['Gamma', 'delta']],
    ['pages <= 50', ['Gamma', 'delta']],
    ['title ~ "alp"', ['Alpha']],
    ['title !~ "a"', ['Epsilon 100%']],
    ['title ~ "Gam%"', ['Gamma']],
    ['title ~ "%silon%"', ['Epsilon 100%']],
    ['title ~ "_"', []],
    ['genres ?= "sf"', ['Alpha', 'Beta', 'Epsilon 100%']],
    ['genres = "sf"', ['Alpha']],
    ['genres ?~ "fan"', ['Beta']],
    ['genres:length = 2', ['Beta', 'Epsilon 100%']],
    ['genres:length = 0', ['Gamma']],
    ['genres:length > 0 && genres:each ~ "f"', ['Alpha', 'Beta']],
    ['published = true', ['Alpha', 'Epsilon 100%', 'Gamma']],
    ['published = false && pages > 0', ['Beta']],
    ['pages > 100 || title = "Alpha"', ['Alpha', 'Beta', 'Epsilon 100%']],
    ['title = "Alpha" || title = "Beta" && pages > 1000', ['Alpha']],
    ['(title = "Alpha" || title = "Beta") && pages > 200', ['Beta']],
    ['author = ""', ['delta']],
    ['author = null', ['delta']],
    ['author != ""', ['Alpha', 'Beta', 'Epsilon 100%', 'Gamma']],
    ['meta.lang = "en"', ['Alpha', 'delta']],
    ['author.name = "ann"', ['Alpha', 'Epsilon 100%']],
    ['author.country = "us"', ['Beta']],
    ['coauthors.name ?= "bob"', ['Alpha', 'Gamma']],
    ['coauthors.name = "ann"', ['Epsilon 100%']],
    ['coauthors:length = 2', ['Gamma']],
    ['reviews_via_book.stars ?> 4', ['Alpha']],
    ['reviews_via_book.text ?~ "great"', ['Alpha', 'Beta']],
    ['title:lower = "delta"', ['delta']],
    ['title:lower = "alpha"', ['Alpha']],
    ['created <= @now', ['Alpha', 'Beta', 'Epsilon 100%', 'Gamma', 'delta']],
    ['created > @now', []],
    ['created >= @todayStart && created <= @todayEnd', ['Alpha', 'Beta', 'Epsilon 100%', 'Gamma', 'delta']],
    ['title = "Alpha" // a comment\n|| title = "Beta"', ['Alpha', 'Beta']],
  ])('%s', async (filter, expected) => {
    expect(await titles(su, filter)).toEqual(expected)
  })

  it('pb.filter() placeholders are escaped safely', async () => {
    expect(await titles(su, guest.filter('title = {:t} && pages = {:p}', { t: 'Alpha', p: 100 }))).toEqual(['Alpha'])
    expect(await titles(su, guest.filter('title = {:t}', { t: 'x" || title != "' }))).toEqual([])
  })

  it.each([
    'title ==', 'nope = 1', 'title', '(title = "a"', 'title = "a" &&',
  ])('invalid filter %j → 400 with empty data', async (filter) => {
    const f = await failure(guest.collection('books').getList(1, 10, { filter }))
    expect(f.status).toBe(400)
    expect(f.body.data).toEqual({})
  })

  it('a guest filtering through a relation only sees related rows it could list', async () => {
    expect(await titles(guest, 'author.name = "cid"')).toEqual([])
    expect(await titles(su, 'author.name = "cid"')).toEqual(['Gamma'])
  })
})

describe('expand', () => {
  it('single and multi relations, respecting the related viewRule', async () => {
    const list = await guest.collection('books').getFullList({ sort: 'title', expand: 'author,coauthors' })
    const by = Object.fromEntries(list.map((r) => [r.title, r]))
    expect(by.Alpha.expand?.author).toMatchObject({ id: ids.ann, name: 'ann', collectionName: 'authors' })
    expect(by.Alpha.expand?.coauthors.map((a: any) => a.name)).toEqual(['bob'])
    // cid is hidden by the authors viewRule
    expect(by.Gamma.author).toBe(ids.cid)
    expect(by.Gamma.expand?.author).toBeUndefined()
    expect(by.Gamma.expand?.coauthors.map((a: any) => a.name)).toEqual(['ann', 'bob'])
    // nothing to expand on delta
    expect(by.delta.expand?.author).toBeUndefined()
    // a superuser sees through the viewRule
    expect((await su.collection('books').getOne(ids.Gamma, { expand: 'author' })).expand?.author.name).toBe('cid')
  })

  it('a related collection with a null viewRule is never expanded for non-superusers', async () => {
    const vault = await su.collections.create({ name: 'vault', fields: [{ name: 'v', type: 'text' }] })
    await su.collections.create({ name: 'refs', listRule: '', viewRule: '', fields: [{ name: 'to', type: 'relation', collectionId: vault.id, maxSelect: 1 }] })
    const target = await su.collection('vault').create({ v: 'hidden' })
    const ref = await su.collection('refs').create({ to: target.id })
    const asGuest = await guest.collection('refs').getOne(ref.id, { expand: 'to' })
    expect(asGuest.to).toBe(target.id)
    expect(asGuest.expand?.to).toBeUndefined()
    expect((await su.collection('refs').getOne(ref.id, { expand: 'to' })).expand?.to.v).toBe('hidden')
  })

  it('no expand param → no expand key', async () => {
    expect(await guest.collection('books').getOne(ids.Alpha)).not.toHaveProperty('expand')
  })

  it('nested expand', async () => {
    const rev = await guest.collection('reviews').getFirstListItem('text = "meh"', { expand: 'book.author' })
    expect(rev.expand?.book.title).toBe('Alpha')
    expect(rev.expand?.book.expand?.author.name).toBe('ann')
  })

  it('back-relation expand x_via_y returns an array', async () => {
    const alpha = await guest.collection('books').getOne(ids.Alpha, { expand: 'reviews_via_book' })
    expect(alpha.expand?.reviews_via_book.map((r: any) => r.text).sort()).toEqual(['great read', 'meh'])
    const gamma = await guest.collection('books').getOne(ids.Gamma, { expand: 'reviews_via_book' })
    expect(gamma.expand?.reviews_via_book).toBeUndefined()
  })
})

describe('fields', () => {
  it('keeps only the listed keys of list items (not the list envelope)', async () => {
    const res = await guest.collection('books').getList(1, 2, { fields: 'id,title', sort: 'title' })
    expect(res).toMatchObject({ page: 1, perPage: 2, totalItems: 5 })
    expect(res.items).toEqual([{ id: ids.Alpha, title: 'Alpha' }, { id: ids.Beta, title: 'Beta' }])
  })

  it('* plus a nested expand path', async () => {
    const rec = await guest.collection('books').getOne(ids.Alpha, { expand: 'author', fields: '*,expand.author.name' })
    expect(rec).toMatchObject({ id: ids.Alpha, title: 'Alpha', pages: 100, collectionName: 'books' })
    expect(rec.expand).toEqual({ author: { name: 'ann' } })
  })

  it(':excerpt strips HTML and truncates', async () => {
    const rec = await guest.collection('books').getOne(ids.Alpha, { fields: 'summary:excerpt(10,true)' })
    expect(rec).toEqual({ summary: 'Hello worl...' })
    const plain = await guest.collection('books').getOne(ids.Alpha, { fields: 'title,summary:excerpt(100)' })
    expect(plain).toEqual({ title: 'Alpha', summary: 'Hello world of books' })
  })
})
