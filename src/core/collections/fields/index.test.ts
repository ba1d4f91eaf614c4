// Tests for the registry, field ids, field names and body modifiers.
import { describe, expect, it } from 'vitest'
import { applyModifier, defaultFieldId, FIELD_TYPES, fieldKind, parseModifierKey, validateFieldName } from './index.ts'
import { crc32Js } from './field-id.ts'
import type { Field } from '../types.ts'

const make = (type: string, o: Record<string, unknown> = {}) => fieldKind(type)!.withDefaults({ name: 'f', ...o } as never) as Field

describe('registry', () => {
  it('has every PocketBase field type', () => {
    expect([...FIELD_TYPES].sort()).toEqual(['autodate', 'bool', 'date', 'editor', 'email', 'file', 'geoPoint', 'json', 'number', 'password', 'relation', 'select', 'text', 'url'])
  })
  it('unknown types (including prototype keys) are undefined', () => {
    for (const t of ['geopoint', '__proto__', 'constructor', 'toString', '']) expect(fieldKind(t)).toBeUndefined()
  })
  it.each(FIELD_TYPES)('%s: withDefaults is complete, stable and never-throwing normalize', (type) => {
    const f = make(type)
    expect(f).toMatchObject({ type, name: 'f', id: defaultFieldId(type, 'f'), system: false, hidden: false, presentable: false })
    expect(fieldKind(type)!.withDefaults(f as never)).toEqual(f) // idempotent
    for (const raw of [undefined, null, '', 'x', 0, -1, 1e308, NaN, true, [], ['a', {}], { $ne: null }, { __proto__: { x: 1 } }, Symbol('s'), () => 1, 10n]) {
      expect(() => fieldKind(type)!.normalize(f, raw)).not.toThrow()
    }
  })
  it.each(FIELD_TYPES)('%s: zero value round-trips through the DB mapping', (type) => {
    const kind = fieldKind(type)!
    const f = make(type, type === 'select' ? { values: ['a'] } : {})
    const zero = kind.zeroValue(f)
    expect(kind.fromDb(f, kind.toDb(f, zero))).toEqual(zero)
  })
})

describe('defaultFieldId', () => {
  it('matches PocketBase', () => {
    expect(defaultFieldId('text', 'id')).toBe('text3208210256')
    expect(defaultFieldId('text', 'title')).toBe('text724990059')
  })
  it('pure-JS crc32 agrees with known vectors', () => {
    expect(crc32Js(Buffer.from('123456789'))).toBe(0xcbf43926)
    expect(crc32Js(Buffer.from(''))).toBe(0)
    expect(crc32Js(Buffer.from('id'))).toBe(3208210256)
  })
})

describe('validateFieldName', () => {
  it.each<[string, boolean, string | null]>([
    ['title', false, null], ['my_field2', false, null], ['_x', false, null], ['passwordConfirm', false, null],
    ['', false, 'validation_required'], ['a'.repeat(101), false, 'validation_length_out_of_range'],
    ['a'.repeat(100), false, null], ['with space', false, 'validation_match_invalid'], ['a-b', false, 'validation_match_invalid'],
    ['héllo', false, 'validation_match_invalid'], ['null', false, 'validation_not_in_invalid'], ['TRUE', false, 'validation_not_in_invalid'],
    ['expand', false, 'validation_not_in_invalid'], ['collectionId', false, 'validation_not_in_invalid'],
    ['collectionName', false, 'validation_not_in_invalid'], ['_rowid_', false, 'validation_not_in_invalid'],
    ['passwordConfirm', true, 'validation_not_in_invalid'], ['oldPassword', true, 'validation_not_in_invalid'],
    ['a_via_b', false, 'validation_found_via'], ['A_VIA_B', false, 'validation_found_via'],
  ])('%j auth=%j', (name, auth, c) => expect(validateFieldName(name, auth)?.code ?? null).toBe(c))
  it('messages', () => {
    expect(validateFieldName('', false)).toEqual({ code: 'validation_required', message: 'Cannot be blank.' })
    expect(validateFieldName('x_via_y', false)).toEqual({ code: 'validation_found_via', message: 'The value cannot contain "_via_".' })
  })
})

describe('parseModifierKey', () => {
  it.each<[string, unknown]>([
    ['+tags', { name: 'tags', op: 'prepend' }], ['tags+', { name: 'tags', op: 'append' }], ['tags-', { name: 'tags', op: 'remove' }],
    ['tags', undefined], ['+', undefined], ['-', undefined],
  ])('%j', (key, out) => expect(parseModifierKey(key)).toEqual(out))
})

describe('applyModifier: number', () => {
  const n = make('number')
  it.each<[unknown, string, unknown, unknown]>([
    [5, 'add', 3, { value: 8 }], [5, 'subtract', 3, { value: 2 }], [5, 'append', '2', { value: 7 }], [5, 'remove', '2.5', { value: 2.5 }],
    [0, 'add', -1, { value: -1 }], [null, 'add', 1, { value: 1 }], ['garbage', 'add', 1, { value: 1 }],
  ])('%j %s %j', (cur, op, operand, out) => expect(applyModifier(n, cur, op as never, operand)).toEqual(out))
  it.each<[unknown, unknown]>([
    [1e308, 1e308], [5, '1; DROP TABLE users'], [5, { $inc: 1 }], [5, [1]], [5, null], [5, true], [5, NaN], [5, Infinity],
    [5, 'Infinity'], [5, '1e400'], [5, ''],
  ])('rejects current %j operand %j', (cur, operand) => {
    const r = applyModifier(n, cur, 'add', operand)
    expect(r).toEqual({ error: { code: 'validation_not_a_number', message: 'The submitted number is not properly formatted.' } })
  })
  it('rejects list ops on numbers', () => {
    expect('error' in applyModifier(n, 1, 'prepend', 1)).toBe(true)
  })
})

describe('applyModifier: lists', () => {
  const multi = make('select', { values: ['a', 'b', 'c', 'd'], maxSelect: 5 })
  const single = make('relation', { collectionId: 'x' })
  const files = make('file', { maxSelect: 3 })
  it.each<[Field, unknown, string, unknown, unknown]>([
    [multi, ['a', 'b'], 'append', 'c', ['a', 'b', 'c']],
    [multi, ['a', 'b'], 'append', ['b', 'c'], ['a', 'b', 'c']],
    [multi, ['a', 'b'], 'prepend', ['c', 'd'], ['c', 'd', 'a', 'b']],
    [multi, ['a', 'b', 'c'], 'remove', 'b', ['a', 'c']],
    [multi, ['a', 'b', 'c'], 'remove', ['a', 'c', 'zzz'], ['b']],
    [multi, '["a"]', 'append', '["b"]', ['a', 'b']],
    [multi, null, 'append', 'a', ['a']],
    [multi, ['a'], 'append', 1, ['a', '1']],
    [single, 'r1', 'append', 'r2', 'r2'],
    [single, 'r1', 'prepend', 'r2', 'r1'],
    [single, 'r1', 'remove', 'r1', ''],
    [files, ['a.png', 'b.png'], 'remove', ['a.png'], ['b.png']],
  ])('%#: %j %s %j', (f, cur, op, operand, value) => expect(applyModifier(f, cur, op as never, operand)).toEqual({ value }))
  it.each<[unknown]>([[{ $ne: null }], [[{ x: 1 }]], [[['a']]]])('rejects object operand %j', (operand) => {
    expect(applyModifier(multi, ['a'], 'append', operand)).toEqual({ error: { code: 'validation_invalid_value', message: 'Invalid value.' } })
  })
  it('rejects number ops on lists and modifiers on other types', () => {
    expect('error' in applyModifier(multi, [], 'add', 1)).toBe(true)
    expect('error' in applyModifier(make('text'), 'x', 'append', 'y')).toBe(true)
    expect('error' in applyModifier(make('json'), null, 'append', 1)).toBe(true)
  })
})
