// Records CRUD: response shape, create/view/update/delete, modifiers, zero values, validation codes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type PocketBase from 'pocketbase'
import { startServer, type TestServer } from '../support/server.ts'
import { DATE_RE, ID_RE, codeOf, failure, raw } from './helpers.ts'

let s: TestServer
let su: PocketBase
let pb: PocketBase // guest; every rule of `items` is public
let itemsId: string

beforeAll(async () => {
  s = await startServer()
  su = await s.superuser()
  pb = s.client()
  const tags = await su.collections.create({ name: 'tags', fields: [{ name: 'label', type: 'text' }], listRule: '', viewRule: '' })
  const items = await su.collections.create({
    name: 'items',
    listRule: '', viewRule: '', createRule: '', updateRule: '', deleteRule: '',
    fields: [
      { name: 'title', type: 'text', required: true, min: 3, max: 10 },
      { name: 'note', type: 'text', pattern: '^[a-z]*$' },
      { name: 'n', type: 'number', min: -100, max: 100 },
      { name: 'whole', type: 'number', onlyInt: true },
      { name: 'flag', type: 'bool' },
      { name: 'mail', type: 'email' },
      { name: 'link', type: 'url' },
      { name: 'html', type: 'editor' },
      { name: 'when', type: 'date' },
      { name: 'status', type: 'select', values: ['a', 'b', 'c'], maxSelect: 1 },
      { name: 'tags', type: 'select', values: ['a', 'b', 'c', 'd'], maxSelect: 3 },
      { name: 'tag', type: 'relation', collectionId: tags.id, maxSelect: 1 },
      { name: 'rels', type: 'relation', collectionId: tags.id, maxSelect: 3 },
      { name: 'data', type: 'json', maxSize: 100 },
      { name: 'created', type: 'autodate', onCreate: true },
      { name: 'updated', type: 'autodate', onCreate: true, onUpdate: true },
    ],
  })
  itemsId = items.id
})
afterAll(async () => { await s?.close() })

describe('create / view / update / delete', () => {
  it('create returns 200 with a generated id, collection info and timestamps', async () => {
    const res = await raw(s, '/api/collections/items/records', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ title: 'hello' }) })
    expect(res.status).toBe(200)
    const rec = res.json
    expect(rec.id).toMatch(ID_RE)
    expect(rec).toMatchObject({ collectionId: itemsId, collectionName: 'items', title: 'hello' })
    expect(rec.created).toMatch(DATE_RE)
    expect(rec.updated).toBe(rec.created)
    expect(rec).not.toHaveProperty('expand')
  })

  it('fills every unset field with its zero value', async () => {
    const rec = await pb.collection('items').create({ title: 'zeros' })
    expect(rec).toMatchObject({
      note: '', n: 0, whole: 0, flag: false, mail: '', link: '', html: '', when: '',
      status: '', tags: [], tag: '', rels: [], data: null,
    })
  })

  it('ignores unknown keys and autodate values from the client', async () => {
    const rec = await pb.collection('items').create({ title: 'extra', bogus: 1, collectionName: 'x', created: '2000-01-01 00:00:00.000Z' })
    expect(rec).not.toHaveProperty('bogus')
    expect(rec.collectionName).toBe('items')
    expect(rec.created).not.toBe('2000-01-01 00:00:00.000Z')
  })

  it('accepts a client-chosen valid id', async () => {
    const rec = await pb.collection('items').create({ id: 'abcdefghij12345', title: 'mine' })
    expect(rec.id).toBe('abcdefghij12345')
    expect((await pb.collection('items').getOne('abcdefghij12345')).title).toBe('mine')
    const dup = await failure(pb.collection('items').create({ id: 'abcdefghij12345', title: 'again' }))
    expect(dup.status).toBe(400)
  })

  it('view returns the stored record; unknown id → 404', async () => {
    const rec = await pb.collection('items').create({ title: 'view me', n: 7, tags: ['b', 'a'] })
    expect(await pb.collection('items').getOne(rec.id)).toEqual(rec)
    const f = await failure(pb.collection('items').getOne('zzzzzzzzzzzzzzz'))
    expect(f.status).toBe(404)
    expect(f.body).toEqual({ status: 404, message: expect.any(String), data: {} })
  })

  it('update patches only the sent fields and bumps `updated`, not `created`', async () => {
    const rec = await pb.collection('items').create({ title: 'before', n: 5, flag: true })
    await new Promise((r) => setTimeout(r, 5))
    const upd = await pb.collection('items').update(rec.id, { title: 'after' })
    expect(upd).toMatchObject({ id: rec.id, title: 'after', n: 5, flag: true, created: rec.created })
    expect(upd.updated > rec.updated).toBe(true)
    expect(await pb.collection('items').getOne(rec.id)).toEqual(upd)
  })

  it('the primary key cannot change', async () => {
    const rec = await pb.collection('items').create({ title: 'pkey' })
    const f = await failure(pb.collection('items').update(rec.id, { id: 'zzzzzzzzzzzzzz1' }))
    expect(f.status).toBe(400)
    expect((await pb.collection('items').getOne(rec.id)).title).toBe('pkey')
  })

  it('delete returns 204 and the record is gone', async () => {
    const rec = await pb.collection('items').create({ title: 'byebye' })
    const res = await raw(s, `/api/collections/items/records/${rec.id}`, { method: 'DELETE' })
    expect(res.status).toBe(204)
    expect(res.text).toBe('')
    expect((await failure(pb.collection('items').getOne(rec.id))).status).toBe(404)
    expect((await failure(pb.collection('items').delete(rec.id))).status).toBe(404)
  })

  it('unknown collection → 404', async () => {
    expect((await failure(pb.collection('nope').create({ title: 'x' }))).status).toBe(404)
    expect((await failure(pb.collection('nope').getList())).status).toBe(404)
  })

  it('the collection id works as well as its name', async () => {
    const rec = await pb.collection(itemsId).create({ title: 'by id' })
    expect(rec.collectionName).toBe('items')
  })
})

describe('modifiers', () => {
  it('number `n+` / `n-` add and subtract', async () => {
    const rec = await pb.collection('items').create({ title: 'count', n: 10 })
    expect((await pb.collection('items').update(rec.id, { 'n+': 5 })).n).toBe(15)
    expect((await pb.collection('items').update(rec.id, { 'n-': 20 })).n).toBe(-5)
  })

  it('multi select `tags+` appends, `+tags` prepends, `tags-` removes', async () => {
    const rec = await pb.collection('items').create({ title: 'tags', tags: ['b'] })
    expect((await pb.collection('items').update(rec.id, { 'tags+': 'c' })).tags).toEqual(['b', 'c'])
    expect((await pb.collection('items').update(rec.id, { '+tags': 'a' })).tags).toEqual(['a', 'b', 'c'])
    expect((await pb.collection('items').update(rec.id, { 'tags-': ['a', 'c'] })).tags).toEqual(['b'])
  })

  it('multi relation `rels+` / `rels-`', async () => {
    const t1 = await su.collection('tags').create({ label: 't1' })
    const t2 = await su.collection('tags').create({ label: 't2' })
    const rec = await pb.collection('items').create({ title: 'rels', rels: [t1.id] })
    expect((await pb.collection('items').update(rec.id, { 'rels+': t2.id })).rels).toEqual([t1.id, t2.id])
    expect((await pb.collection('items').update(rec.id, { 'rels-': t1.id })).rels).toEqual([t2.id])
  })

  it('text `code:autogenerate` appends a value generated from the autogeneratePattern', async () => {
    await su.collections.create({ name: 'codes', createRule: '', fields: [{ name: 'code', type: 'text', autogeneratePattern: '[a-z]{5}' }] })
    expect((await pb.collection('codes').create({ 'code:autogenerate': 'inv-' })).code).toMatch(/^inv-[a-z]{5}$/)
  })

  it('an empty text field with an autogeneratePattern is generated on create only', async () => {
    const a = await pb.collection('codes').create({})
    const b = await pb.collection('codes').create({ code: '' })
    expect(a.code).toMatch(/^[a-z]{5}$/)
    expect(b.code).toMatch(/^[a-z]{5}$/)
    expect((await pb.collection('codes').create({ code: 'given' })).code).toBe('given')
    expect((await su.collection('codes').update(a.id, { code: '' })).code).toBe('')
  })

  it('a modifier pushing a value past the limits is a validation error', async () => {
    const rec = await pb.collection('items').create({ title: 'limit', n: 99 })
    const f = await failure(pb.collection('items').update(rec.id, { 'n+': 5 }))
    expect(codeOf(f, 'n')).toBe('validation_max_number_constraint')
    expect((await pb.collection('items').getOne(rec.id)).n).toBe(99)
  })
})

describe('coercion', () => {
  it.each([
    ['number from string', { n: '12' }, { n: 12 }],
    ['bool from string', { flag: 'true' }, { flag: true }],
    ['single select keeps the last of many', { status: ['a', 'b'] }, { status: 'b' }],
    ['multi select from a string', { tags: 'c' }, { tags: ['c'] }],
    ['json object', { data: { a: [1, 2] } }, { data: { a: [1, 2] } }],
    ['json from a JSON string', { data: '{"k":1}' }, { data: { k: 1 } }],
    ['json from a plain string', { data: 'hello' }, { data: 'hello' }],
    ['date from RFC 3339', { when: '2024-05-01T10:20:30Z' }, { when: '2024-05-01 10:20:30.000Z' }],
  ])('%s', async (_label, body, expected) => {
    const rec = await pb.collection('items').create({ title: 'coerce', ...body })
    expect(rec).toMatchObject(expected)
  })
})

describe('validation errors', () => {
  it.each([
    ['required', {}, 'title', 'validation_required'],
    ['min text length', { title: 'ab' }, 'title', 'validation_min_text_constraint'],
    ['max text length', { title: 'x'.repeat(11) }, 'title', 'validation_max_text_constraint'],
    ['text pattern', { title: 'okay', note: 'UPPER' }, 'note', 'validation_invalid_format'],
    ['number above max', { title: 'okay', n: 101 }, 'n', 'validation_max_number_constraint'],
    ['number below min', { title: 'okay', n: -101 }, 'n', 'validation_min_number_constraint'],
    ['onlyInt', { title: 'okay', whole: 1.5 }, 'whole', 'validation_only_int_constraint'],
    ['select value not allowed', { title: 'okay', status: 'z' }, 'status', 'validation_invalid_value'],
    ['multi select value not allowed', { title: 'okay', tags: ['a', 'z'] }, 'tags', 'validation_invalid_value'],
    ['maxSelect', { title: 'okay', tags: ['a', 'b', 'c', 'd'] }, 'tags', 'validation_too_many_values'],
    ['relation with missing id', { title: 'okay', tag: 'zzzzzzzzzzzzzzz' }, 'tag', 'validation_missing_rel_records'],
    ['email format', { title: 'okay', mail: 'not-an-email' }, 'mail', 'validation_is_email'],
    ['url format', { title: 'okay', link: 'not a url' }, 'link', 'validation_invalid_url'],
    ['json size', { title: 'okay', data: { big: 'x'.repeat(200) } }, 'data', 'validation_json_size_limit'],
  ])('%s → 400 %s', async (_label, body, field, code) => {
    const before = (await su.collection('items').getList(1, 1)).totalItems
    const f = await failure(pb.collection('items').create(body))
    expect(f.status).toBe(400)
    expect(f.body).toMatchObject({ status: 400, message: 'Failed to create record.' })
    expect(f.body.data?.[field]).toMatchObject({ code, message: expect.any(String) })
    expect(Object.keys(f.body.data ?? {})).toEqual([field])
    expect((await su.collection('items').getList(1, 1)).totalItems).toBe(before)
  })

  it('min/max errors carry their params', async () => {
    expect((await failure(pb.collection('items').create({ title: 'ab' }))).body.data?.title.params).toEqual({ min: 3 })
    expect((await failure(pb.collection('items').create({ title: 'okay', tags: ['a', 'b', 'c', 'd'] }))).body.data?.tags.params).toMatchObject({ maxSelect: 3 })
  })

  it('reports several fields at once, and update errors say "Failed to update record."', async () => {
    const f = await failure(pb.collection('items').create({ title: 'a', n: 1000, mail: 'x' }))
    expect(Object.keys(f.body.data ?? {}).sort()).toEqual(['mail', 'n', 'title'])
    const rec = await pb.collection('items').create({ title: 'valid' })
    const u = await failure(pb.collection('items').update(rec.id, { title: '' }))
    expect(u.body).toMatchObject({ status: 400, message: 'Failed to update record.', data: { title: { code: 'validation_required' } } })
  })
})

describe('getFullList / getFirstListItem', () => {
  beforeAll(async () => {
    await su.collections.create({ name: 'bulk', fields: [{ name: 'k', type: 'number' }], listRule: '', viewRule: '' })
    for (let i = 1; i <= 25; i++) await su.collection('bulk').create({ k: i })
  })

  it('getFullList pages through everything with a small batch', async () => {
    const all = await pb.collection('bulk').getFullList({ batch: 10, sort: 'k' })
    expect(all.map((r) => r.k)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1))
  })

  it('getFirstListItem returns the first match or a 404', async () => {
    expect((await pb.collection('bulk').getFirstListItem('k > 20', { sort: 'k' })).k).toBe(21)
    expect((await failure(pb.collection('bulk').getFirstListItem('k > 100'))).status).toBe(404)
  })
})
