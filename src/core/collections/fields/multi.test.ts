// Tests for select, relation, file and json fields.
import { describe, expect, it } from 'vitest'
import { selectKind } from './select.ts'
import { relationKind } from './relation.ts'
import { fileKind, maxFileSize, mimeAllowed } from './file.ts'
import { jsonKind } from './json.ts'
import type { FileField, JsonField, RelationField, SelectField } from '../types.ts'

const ctx = { isNew: true }
const lookup = { find: (x: string) => (x === 'pbc_1' || x === 'posts' ? { id: 'pbc_1' } : undefined) }
const codes = (errors: Record<string, { code: string }>) => Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, v.code]))

describe('select', () => {
  const single = selectKind.withDefaults({ name: 'status', values: ['a', 'b', 'c'] })
  const multi = selectKind.withDefaults({ name: 'tags', values: ['a', 'b', 'c'], maxSelect: 2 })
  it.each<[unknown, unknown, unknown]>([
    ['a', 'a', ['a']], [['a', 'b'], 'b', ['a', 'b']], [['a', 'a', 'b', ''], 'b', ['a', 'b']], ['', '', []],
    [null, '', []], ['["a","b"]', 'b', ['a', 'b']], ['[broken', '[broken', ['[broken']], ['[1,2]', '[1,2]', ['[1,2]']],
    [1, '1', ['1']], [{ $ne: null }, '', []], [[{ x: 1 }, 'a'], 'a', ['a']], [true, 'true', ['true']],
  ])('normalize %j → single %j, multi %j', (raw, s, m) => {
    expect(selectKind.normalize(single, raw)).toEqual(s)
    expect(selectKind.normalize(multi, raw)).toEqual(m)
  })
  it.each<[SelectField, unknown, unknown]>([
    [single, 'a', null], [single, '', null], [multi, [], null], [multi, ['a', 'c'], null],
    [single, 'x', { code: 'validation_invalid_value', message: 'Invalid value x.', params: { value: 'x' } }],
    [multi, ['a', 'b', 'c'], { code: 'validation_too_many_values', message: 'Select no more than 2.', params: { maxSelect: 2 } }],
    [{ ...single, required: true }, '', { code: 'validation_required', message: 'Cannot be blank.' }],
    [{ ...multi, required: true }, [], { code: 'validation_required', message: 'Cannot be blank.' }],
  ])('validate %#', (fld, v, out) => expect(selectKind.validate(fld, v, ctx)).toEqual(out))
  it('kinds and zero values', () => {
    expect([selectKind.columnKind(single), selectKind.columnKind(multi)]).toEqual(['text', 'jsonArray'])
    expect([selectKind.zeroValue(single), selectKind.zeroValue(multi)]).toEqual(['', []])
  })
  it.each<[Partial<SelectField>, Record<string, string>]>([
    [{ values: ['a'] }, {}],
    [{ values: [] }, { values: 'validation_required' }],
    [{ values: ['a', ''] }, { values: 'validation_invalid_value' }],
    [{ values: ['a', 'b'], maxSelect: 3 }, { maxSelect: 'validation_max_less_equal_than_required' }],
  ])('validateOptions %j', (o, out) => expect(codes(selectKind.validateOptions(selectKind.withDefaults({ name: 's', ...o }), lookup))).toEqual(out))
  it('db mapping', () => {
    expect(selectKind.toDb(multi, ['a', 'b'])).toBe('["a","b"]')
    expect(selectKind.fromDb(multi, '["a","b"]')).toEqual(['a', 'b'])
    expect(selectKind.fromDb(multi, null)).toEqual([])
    expect(selectKind.fromDb(multi, 'a')).toEqual(['a']) // stored while the field was single
    expect(selectKind.toDb(single, 'a')).toBe('a')
    expect(selectKind.fromDb(single, '["a","b"]')).toBe('b') // stored while the field was multiple
    expect(selectKind.fromDb(single, null)).toBe('')
  })
})

describe('relation', () => {
  const base: Partial<RelationField> = { collectionId: 'pbc_1' }
  const one = relationKind.withDefaults({ name: 'author', ...base })
  const many = relationKind.withDefaults({ name: 'tags', ...base, maxSelect: 3, minSelect: 2 })
  const existing = new Set(['aaa', 'bbb', 'ccc'])
  let calls = 0
  const dbCtx = {
    isNew: true,
    existingIds: async (cid: string, ids: string[]) => { calls++; expect(cid).toBe('pbc_1'); return new Set(ids.filter((i) => existing.has(i))) },
  }
  it('normalize keeps the last id for single relations', () => {
    expect(relationKind.normalize(one, ['aaa', 'bbb'])).toBe('bbb')
    expect(relationKind.normalize(many, 'aaa')).toEqual(['aaa'])
    expect(relationKind.normalize(many, { $in: ['aaa'] })).toEqual([])
  })
  it.each<[RelationField, unknown, unknown]>([
    [one, 'aaa', null], [one, '', null], [many, ['aaa', 'bbb'], null],
    [one, 'zzz', { code: 'validation_missing_rel_records', message: 'Failed to find all relation records with the provided ids.' }],
    [many, ['aaa'], { code: 'validation_not_enough_values', message: 'Select at least 2.', params: { minSelect: 2 } }],
    [many, ['aaa', 'bbb', 'ccc', 'ddd'], { code: 'validation_too_many_values', message: 'Select no more than 3.', params: { maxSelect: 3 } }],
    [{ ...one, required: true }, '', { code: 'validation_required', message: 'Cannot be blank.' }],
  ])('validate %#', async (fld, v, out) => expect(await relationKind.validate(fld, v, dbCtx)).toEqual(out))
  it('rejects malformed ids without querying', async () => {
    calls = 0
    for (const bad of ["a' OR 1=1 --", 'a/b', 'x'.repeat(300), 'a b']) {
      expect((await relationKind.validate(one, bad, dbCtx))?.code).toBe('validation_missing_rel_records')
    }
    expect(calls).toBe(0)
  })
  it('defaults', () => expect(relationKind.withDefaults({ name: 'r' })).toMatchObject({ collectionId: '', cascadeDelete: false, minSelect: 0, maxSelect: 0 }))
  it.each<[Partial<RelationField>, Record<string, string>]>([
    [{ collectionId: 'pbc_1' }, {}],
    [{}, { collectionId: 'validation_required' }],
    [{ collectionId: 'nope' }, { collectionId: 'validation_field_relation_missing_collection' }],
    [{ collectionId: 'posts' }, { collectionId: 'validation_field_relation_missing_collection' }],
    [{ collectionId: 'pbc_1', minSelect: 2 }, { maxSelect: 'validation_required' }],
    [{ collectionId: 'pbc_1', minSelect: 3, maxSelect: 2 }, { maxSelect: 'validation_min_greater_equal_than_required' }],
    [{ collectionId: 'pbc_1', minSelect: -1 }, { minSelect: 'validation_min_greater_equal_than_required' }],
  ])('validateOptions %j', (o, out) => expect(codes(relationKind.validateOptions(relationKind.withDefaults({ name: 'r', ...o }), lookup))).toEqual(out))
})

describe('file', () => {
  const one = fileKind.withDefaults({ name: 'avatar' })
  const many = fileKind.withDefaults({ name: 'docs', maxSelect: 2, mimeTypes: ['image/png', 'application/pdf'] })
  it.each<[FileField, unknown, string | null]>([
    [one, 'a_x1.png', null], [one, '', null], [many, ['a.png', 'b.pdf'], null],
    [many, ['a', 'b', 'c'], 'validation_too_many_files'],
    [one, '.htaccess', 'validation_match_invalid'], [one, '../etc/passwd', 'validation_match_invalid'],
    [one, 'a\\b.png', 'validation_match_invalid'], [one, 'x'.repeat(151), 'validation_length_out_of_range'],
    [{ ...one, required: true }, '', 'validation_required'],
  ])('validate %#', (fld, v, c) => expect((fileKind.validate(fld, v, ctx) as { code: string } | null)?.code ?? null).toBe(c))
  it('too many files params', () => {
    expect(fileKind.validate(many, ['a', 'b', 'c'], ctx)).toEqual({ code: 'validation_too_many_files', message: 'The maximum allowed files is 2.', params: { maxSelect: 2 } })
  })
  it('helpers', () => {
    expect(maxFileSize(one)).toBe(5 * 1024 * 1024)
    expect(maxFileSize({ ...one, maxSize: 100 })).toBe(100)
    expect(mimeAllowed(one, 'text/html')).toBe(true)
    expect(mimeAllowed(many, 'image/png')).toBe(true)
    expect(mimeAllowed(many, 'IMAGE/PNG; charset=binary')).toBe(true)
    expect(mimeAllowed(many, 'text/html')).toBe(false)
  })
  it('normalize and db', () => {
    expect(fileKind.normalize(one, ['a.png', 'b.png'])).toBe('b.png')
    expect(fileKind.normalize(many, 'a.png')).toEqual(['a.png'])
    expect(fileKind.toDb(many, ['a.png'])).toBe('["a.png"]')
    expect(fileKind.fromDb(many, '["a.png"]')).toEqual(['a.png'])
    expect(fileKind.zeroValue(many)).toEqual([])
  })
  it.each<[Partial<FileField>, Record<string, string>]>([
    [{ thumbs: ['100x100', '0x50', '50x0', '10x20t', '10x20b', '10x20f'] }, {}],
    [{ thumbs: ['0x0'] }, { thumbs: 'validation_invalid_thumb_size' }],
    [{ thumbs: ['100x'] }, { thumbs: 'validation_invalid_thumb_size' }],
    [{ maxSize: -5, maxSelect: 1.5 }, { maxSize: 'validation_min_greater_equal_than_required', maxSelect: 'validation_invalid_value' }],
  ])('validateOptions %j', (o, out) => expect(codes(fileKind.validateOptions(fileKind.withDefaults({ name: 'f', ...o }), lookup))).toEqual(out))
})

describe('json', () => {
  const f = (o: Partial<JsonField> = {}) => jsonKind.withDefaults({ name: 'data', ...o })
  it.each<[unknown, unknown]>([
    ['', ''], ['null', null], ['true', true], ['false', false], ['123', 123], ['-1.5', -1.5], ['"x"', 'x'],
    ['[1,2]', [1, 2]], ['{"a":1}', { a: 1 }], ['hello', 'hello'], ['{broken', '{broken'], ['12abc', '12abc'],
    [' [1]', ' [1]'], ['True', 'True'], [5, 5], [true, true], [null, null], [undefined, null], [[1, 'a'], [1, 'a']],
    [{ a: { b: [1] } }, { a: { b: [1] } }], [NaN, null], [{ f: () => 1, d: undefined }, {}],
  ])('normalize %j', (raw, out) => expect(jsonKind.normalize(f(), raw)).toEqual(out))
  it('survives absurdly deep nesting', () => {
    const deep = '['.repeat(200000) + ']'.repeat(200000)
    const v = jsonKind.normalize(f(), deep)
    expect(() => jsonKind.validate(f(), v, ctx)).not.toThrow()
    expect(() => jsonKind.toDb(f(), v)).not.toThrow()
  })
  it('never crashes on unserializable input', () => {
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    expect(jsonKind.normalize(f(), cyclic)).toBeNull()
    expect(jsonKind.normalize(f(), { n: 10n })).toBeNull()
  })
  it('treats __proto__ as plain data', () => {
    const v = jsonKind.normalize(f(), '{"__proto__":{"polluted":true}}') as Record<string, unknown>
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype)
    expect(jsonKind.toDb(f(), v)).toBe('{"__proto__":{"polluted":true}}')
  })
  it.each<[Partial<JsonField>, unknown, unknown]>([
    [{}, null, null], [{ required: true }, null, { code: 'validation_required', message: 'Cannot be blank.' }],
    [{ required: true }, '', { code: 'validation_required', message: 'Cannot be blank.' }],
    [{ required: true }, [], { code: 'validation_required', message: 'Cannot be blank.' }],
    [{ required: true }, {}, { code: 'validation_required', message: 'Cannot be blank.' }],
    [{ required: true }, 0, null], [{ required: true }, false, null],
    [{ maxSize: 10 }, 'abcdefgh', null], // "abcdefgh" serialized is 10 bytes
    [{ maxSize: 10 }, 'abcdefghi', { code: 'validation_json_size_limit', message: 'The maximum allowed JSON size is 10 bytes.', params: { maxSize: 10 } }],
    [{}, 'x'.repeat(1024 * 1024), { code: 'validation_json_size_limit', message: 'The maximum allowed JSON size is 1048576 bytes.', params: { maxSize: 1048576 } }],
  ])('validate %j %#', (o, v, out) => expect(jsonKind.validate(f(o), v, ctx)).toEqual(out))
  it('db mapping', () => {
    expect(jsonKind.toDb(f(), null)).toBeNull()
    expect(jsonKind.toDb(f(), { a: [1] })).toBe('{"a":[1]}')
    expect(jsonKind.toDb(f(), '')).toBe('""')
    expect(jsonKind.fromDb(f(), null)).toBeNull()
    expect(jsonKind.fromDb(f(), '{"a":[1]}')).toEqual({ a: [1] })
    expect(jsonKind.fromDb(f(), 'not json')).toBeNull()
    expect(jsonKind.columnKind(f())).toBe('json')
    expect(jsonKind.zeroValue(f())).toBeNull()
  })
})
