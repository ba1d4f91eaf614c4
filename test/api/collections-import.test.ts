// PUT /api/collections/import through the SDK: create/replace, deleteMissing, all or nothing, PocketBase error shape.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type PocketBase from 'pocketbase'
import { startServer, type TestServer } from '../support/server.ts'
import { failure, signUp } from './helpers.ts'

let s: TestServer
let su: PocketBase
beforeAll(async () => {
  s = await startServer()
  su = await s.superuser()
})
afterAll(async () => { await s?.close() })

/** The SDK's `pb.collections.import` (its types want complete models; the server fills defaults). */
const importAs = (pb: PocketBase, list: unknown[], deleteMissing: boolean) => pb.collections.import(list as never, deleteMissing)

const names = async () => (await su.collections.getFullList()).map((c) => c.name).sort()

describe('PUT /api/collections/import', () => {
  it('creates collections in any order (a relation to a later one, a view over them)', async () => {
    await importAs(su, [
      { id: 'pbc_books', name: 'books', type: 'base', listRule: '', fields: [{ name: 'title', type: 'text', required: true }, { name: 'author', type: 'relation', collectionId: 'pbc_authors', maxSelect: 1 }] },
      { name: 'book_titles', type: 'view', listRule: '', viewQuery: 'SELECT id, title FROM books' },
      { id: 'pbc_authors', name: 'authors', type: 'base', fields: [{ name: 'name', type: 'text' }, { name: 'bio', type: 'text' }] },
    ], false)
    expect(await names()).toEqual(expect.arrayContaining(['authors', 'book_titles', 'books', 'users', '_superusers']))
    const books = await su.collections.getOne('books')
    expect(books.fields.find((f: any) => f.name === 'author')).toMatchObject({ type: 'relation', collectionId: 'pbc_authors' })
    const a = await su.collection('authors').create({ name: 'Ann' })
    await su.collection('books').create({ title: 'One', author: a.id })
    expect((await s.client().collection('book_titles').getFullList()).map((r) => r.title)).toEqual(['One'])
  })

  it('replaces existing collections; without deleteMissing, fields and collections not sent are kept', async () => {
    const authors = await su.collections.getOne('authors')
    await importAs(su, [{ id: authors.id, name: 'authors', type: 'base', listRule: '', fields: [{ name: 'name', type: 'text', max: 50 }] }], false)
    const after = await su.collections.getOne('authors')
    expect(after.listRule).toBe('')
    expect(after.fields.map((f: any) => f.name).sort()).toEqual(['bio', 'id', 'name'])
    expect(after.fields.find((f: any) => f.name === 'name')?.max).toBe(50)
    expect(after.fields.some((f: any) => f.name === 'bio')).toBe(true)
    expect(await names()).toContain('books')
    expect((await su.collection('authors').getFullList())[0].name).toBe('Ann') // data kept
  })

  it('with deleteMissing, drops fields and non-system collections that are not sent', async () => {
    const authors = await su.collections.getOne('authors')
    const users = await su.collections.getOne('users')
    await importAs(su, [
      { ...authors, fields: authors.fields.filter((f: any) => f.name !== 'bio') },
      users,
    ], true)
    const left = await names()
    expect(left).toEqual(expect.arrayContaining(['_superusers', 'authors', 'users']))
    expect(left).not.toContain('books')
    expect(left).not.toContain('book_titles')
    expect((await su.collections.getOne('authors')).fields.map((f: any) => f.name)).not.toContain('bio')
    expect((await failure(su.collections.getOne('books'))).status).toBe(404)
  })

  it('is all or nothing: one invalid collection is a 400 under data.collections.<index> and changes nothing', async () => {
    const before = await su.collections.getFullList()
    const rows = await su.collection('authors').getFullList()
    const f = await failure(importAs(su, [
      { name: 'fresh', type: 'base', fields: [{ name: 'x', type: 'text' }] },
      { id: before.find((c) => c.name === 'authors')!.id, name: 'authors', type: 'base', listRule: null, fields: [] },
      { name: 'bad name!', type: 'base' },
      { name: 'evil_view', type: 'view', viewQuery: 'SELECT id FROM authors; DELETE FROM authors' },
    ], true))
    expect(f.status).toBe(400)
    expect(f.body.message).toBe('Failed to import collections.')
    expect(f.body.data?.collections?.[2]?.name?.code).toBe('validation_match_invalid')
    expect(f.body.data?.collections?.[3]?.viewQuery?.code).toBe('validation_invalid_view_query')
    expect(await su.collections.getFullList()).toEqual(before)
    expect(await su.collection('authors').getFullList()).toEqual(rows)
    expect((await failure(su.collections.getOne('fresh'))).status).toBe(404)
  })

  it('validates the envelope and is for superusers only', async () => {
    const f = await failure(importAs(su, [], false))
    expect(f.status).toBe(400)
    expect(f.body.data?.collections?.code).toBe('validation_required')
    const bad = await failure(su.send('/api/collections/import', { method: 'PUT', body: { collections: [42] } }))
    expect(bad.body.data?.collections?.[0]?.code).toBe('validation_invalid_value')
    expect((await failure(importAs(s.client(), [{ name: 'x' }], false))).status).toBe(401)
    const { pb } = await signUp(s)
    expect((await failure(importAs(pb, [{ name: 'x' }], false))).status).toBe(403)
    expect(await names()).not.toContain('x')
  })
})
