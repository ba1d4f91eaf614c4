// Tests for the text field, the shared string cast and pattern handling.
import { describe, expect, it } from 'vitest'
import { generateFromPattern, textKind } from './text.ts'
import { MAX_PATTERN_LENGTH, matchesPattern, patternProblem } from './regex.ts'
import type { TextField } from '../types.ts'

const field = (o: Partial<TextField> = {}) => textKind.withDefaults({ name: 'title', ...o })
const ctx = { isNew: true }

describe('text withDefaults', () => {
  it('fills PocketBase defaults and the crc32 id', () => {
    expect(field()).toEqual({
      id: 'text724990059', name: 'title', type: 'text', system: false, hidden: false, presentable: false, help: '',
      required: false, min: 0, max: 0, pattern: '', autogeneratePattern: '', primaryKey: false,
    })
  })
  it('keeps given id/flags and ignores wrongly typed options', () => {
    const f = textKind.withDefaults({ name: 'x', id: 'myid', system: true, hidden: true, presentable: true, min: '5' as never, required: 'yes' as never })
    expect(f).toMatchObject({ id: 'myid', system: true, hidden: true, presentable: true, min: 0, required: false })
  })
})

describe('text normalize', () => {
  it.each<[unknown, string]>([
    ['abc', 'abc'], ['', ''], [12, '12'], [-2.5, '-2.5'], [1e21, '1000000000000000000000'], [1e-7, '0.0000001'],
    [true, 'true'], [false, 'false'], [null, ''], [undefined, ''], [{ $ne: null }, ''], [['a', 'b'], ''],
    [NaN, 'NaN'], [Infinity, '+Inf'],
  ])('%j → %j', (raw, out) => expect(textKind.normalize(field(), raw)).toBe(out))
})

describe('text validate', () => {
  it.each<[Partial<TextField>, unknown, unknown]>([
    [{}, '', null],
    [{ required: true }, '', { code: 'validation_required', message: 'Cannot be blank.' }],
    [{ min: 3 }, 'ab', { code: 'validation_min_text_constraint', message: 'Must be at least 3 character(s).', params: { min: 3 } }],
    [{ min: 3 }, '', null],
    [{ min: 3 }, 'ééé', null],
    [{ max: 2 }, '😀😀', null],
    [{ max: 2 }, 'abc', { code: 'validation_max_text_constraint', message: 'Must be no more than 2 character(s).', params: { max: 2 } }],
    [{}, 'a'.repeat(5001), { code: 'validation_max_text_constraint', message: 'Must be no more than 5000 character(s).', params: { max: 5000 } }],
    [{}, 'a'.repeat(5000), null],
    [{ pattern: '^[a-z]+$' }, 'abc', null],
    [{ pattern: '^[a-z]+$' }, 'ab1', { code: 'validation_invalid_format', message: 'Invalid value format.' }],
    [{ pattern: '(?i)^abc$' }, 'ABC', null],
    [{ pattern: '^(a+)+$' }, 'aaaa', null], // safe: runs on the linear-time engine
    [{ pattern: '(?i)^(a+)+$' }, 'aaaa', { code: 'validation_invalid_format', message: 'Invalid value format.' }], // unsafe: never matches
    [{}, 5, { code: 'validation_unsupported_value_type', message: 'Invalid or unsupported value type.' }],
  ])('%j %j', (opts, value, expected) => expect(textKind.validate(field(opts), value, ctx)).toEqual(expected))

  const pk = textKind.withDefaults({ name: 'id', primaryKey: true, required: true, pattern: '^[a-z0-9]+$', min: 15, max: 15 })
  it.each<[string, string | null]>([
    ['abcdefghij12345', null], ['', 'validation_required'], ['abc', 'validation_min_text_constraint'],
    ['abc/defghij1234', 'validation_pk_forbidden'], ['ABCDEFGHIJ12345', 'validation_invalid_format'],
  ])('primary key %j', (value, code) => {
    const r = textKind.validate(pk, value, ctx) as { code: string } | null
    expect(r?.code ?? null).toBe(code)
  })
  it('primary key: forbidden chars even with a permissive pattern, and Windows names', () => {
    const loose = { ...pk, pattern: '.*', min: 0, max: 0 }
    for (const bad of ['a.b', 'a\\b', 'a b', "a'b", 'a:b', 'CON', 'lpt1', 'a%b']) {
      expect((textKind.validate(loose, bad, ctx) as { code: string }).code).toBe('validation_pk_forbidden')
    }
    expect(textKind.validate(loose, 'ok_id-1', ctx)).toBeNull()
  })
  it('primary key is not re-validated on update', () => {
    expect(textKind.validate(pk, 'legacy/id', { isNew: false })).toBeNull()
  })
})

describe('text validateOptions', () => {
  const lookup = { find: () => undefined }
  it('accepts a normal field and the system id field', () => {
    expect(textKind.validateOptions(field({ min: 1, max: 10, pattern: '^\\w+$' }), lookup)).toEqual({})
    const id = textKind.withDefaults({ name: 'id', primaryKey: true, required: true, system: true, min: 15, max: 15, pattern: '^[a-z0-9]+$', autogeneratePattern: '[a-z0-9]{15}' })
    expect(textKind.validateOptions(id, lookup)).toEqual({})
  })
  it.each<[Partial<TextField>, Record<string, string>]>([
    [{ min: -1 }, { min: 'validation_min_greater_equal_than_required' }],
    [{ min: 5, max: 3 }, { max: 'validation_min_greater_equal_than_required' }],
    [{ min: 1.5 }, { min: 'validation_invalid_value' }],
    [{ pattern: '([a-z' }, { pattern: 'validation_invalid_regex' }],
    [{ pattern: '(?i)^(a+)+$' }, { pattern: 'validation_invalid_regex' }],
    [{ pattern: '(?i)(\\w*)*' }, { pattern: 'validation_invalid_regex' }],
    [{ pattern: '(a|b)\\1' }, { pattern: 'validation_invalid_regex' }],
    [{ pattern: 'a'.repeat(MAX_PATTERN_LENGTH + 1) }, { pattern: 'validation_invalid_regex' }],
    [{ primaryKey: true }, { name: 'validation_in_invalid', pattern: 'validation_required', required: 'validation_required' }],
    [{ autogeneratePattern: '(a|b)' }, { autogeneratePattern: 'validation_invalid_autogenerate_pattern' }],
    [{ autogeneratePattern: '[a-z]{10}', max: 5 }, { autogeneratePattern: 'validation_invalid_autogenerate_pattern_value' }],
    [{ id: 'x'.repeat(101) }, { id: 'validation_length_out_of_range' }],
  ])('%j', (opts, codes) => {
    const errors = textKind.validateOptions(field(opts), lookup)
    expect(Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, v.code]))).toEqual(codes)
  })
})

describe('patterns', () => {
  it.each(['^[a-z]+$', '(ab)+', '(a+)?', '[a-z]{2,5}(-[a-z]{2})?', '^\\d{3}-\\d{4}$'])('accepts %s', (p) => {
    expect(patternProblem(p)).toBeNull()
  })
  // patterns the linear-time engine cannot run (flag i, \\p{…}, big counts) must pass the backtracking heuristics
  it.each(['(?i)(a+)+', '(?i)(a*)*b', '(?i)((a)+)+', '(?i)(x{2,})+', '(?i)(a|aa)+', '(?i)\\d*\\d*x', '^\\p{L}+\\p{L}+$',
    '(?<=a)b', '(?<!a)b', '(a)\\1', '\\k<n>', '([a-z'])('rejects %s', (p) => {
    expect(patternProblem(p)).not.toBeNull()
  })
  it.each(['(?i)^[a-z]+$', '^[a-z0-9]{1,255}$', '(?i)^(ab)?[a-z]{2,3}$', '^\\p{L}+$'])('backtracking fallback accepts %s', (p) => {
    expect(patternProblem(p)).toBeNull()
  })
  it.each([
    ['^(a+)+$', 'a'.repeat(30000) + 'b'],
    ['^\\d*\\d*\\d*$', '1'.repeat(30000) + 'x'],
    ['(.*a){12}', 'a'.repeat(5000)],
    ['(?i)^(a+)+$', 'a'.repeat(40) + 'b'],
  ])('hostile pattern %s runs quickly', (p, value) => {
    const t = Date.now()
    matchesPattern(p, value)
    expect(Date.now() - t).toBeLessThan(500)
  })
})

describe('generateFromPattern', () => {
  it.each<[string, RegExp]>([
    ['[a-z0-9]{15}', /^[a-z0-9]{15}$/],
    ['[a-zA-Z0-9]{50}', /^[a-zA-Z0-9]{50}$/],
    ['^[a-f]{4}$', /^[a-f]{4}$/],
    ['abc-[0-9]{3}', /^abc-[0-9]{3}$/],
    ['\\d{6}', /^\d{6}$/],
    ['[a-z]{2,4}x?', /^[a-z]{2,4}x?$/],
    ['[\\w\\-]{8}', /^[\w-]{8}$/],
  ])('%s', (p, re) => {
    for (let i = 0; i < 20; i++) expect(generateFromPattern(p)).toMatch(re)
  })
  it.each(['(a|b)', 'a+', '.', '[^a]{3}', '[a-z', '[a]{99999}', '[z-a]', 'a{3,1}'])('throws for %s', (p) => {
    expect(() => generateFromPattern(p)).toThrow()
  })
  it('is random', () => {
    expect(new Set(Array.from({ length: 50 }, () => generateFromPattern('[a-z0-9]{15}'))).size).toBe(50)
  })
})

describe('text db mapping', () => {
  it('maps NULL to "" and back', () => {
    expect(textKind.fromDb(field(), null)).toBe('')
    expect(textKind.fromDb(field(), 'x')).toBe('x')
    expect(textKind.toDb(field(), 'x')).toBe('x')
    expect(textKind.columnKind(field())).toBe('text')
    expect(textKind.zeroValue(field())).toBe('')
  })
})
