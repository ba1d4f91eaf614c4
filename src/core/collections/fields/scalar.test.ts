// Tests for number, bool, email, url, editor, password fields.
import { describe, expect, it } from 'vitest'
import { numberKind } from './number.ts'
import { boolKind } from './bool.ts'
import { emailKind } from './email.ts'
import { urlKind } from './url.ts'
import { editorKind } from './editor.ts'
import { passwordKind } from './password.ts'
import type { EditorField, EmailField, NumberField, PasswordField, UrlField } from '../types.ts'

const ctx = { isNew: true }
const lookup = { find: () => undefined }
const codes = (errors: Record<string, { code: string }>) => Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, v.code]))
const code = (r: unknown) => (r as { code?: string } | null)?.code ?? null

describe('number', () => {
  const f = (o: Partial<NumberField> = {}) => numberKind.withDefaults({ name: 'n', ...o })
  it('defaults', () => {
    expect(f()).toMatchObject({ type: 'number', required: false, min: null, max: null, onlyInt: false, id: 'number2013832146' })
    expect(numberKind.zeroValue(f())).toBe(0)
    expect(numberKind.columnKind(f())).toBe('number')
  })
  it.each<[unknown, number]>([
    [12, 12], ['12', 12], ['-2.5', -2.5], ['1e3', 1000], ['.5', 0.5], ['abc', 0], ['', 0], [' 12', 0], ['12abc', 0],
    ['1; DROP TABLE x', 0], [true, 1], [false, 0], [null, 0], [undefined, 0], [{ $gt: 1 }, 0], [[1], 0], ['1e400', 0],
    ['0x10', 0],
  ])('normalize %j → %j', (raw, out) => expect(numberKind.normalize(f(), raw)).toBe(out))
  it('normalize keeps explicit Inf/NaN so validation rejects them', () => {
    expect(numberKind.normalize(f(), 'Inf')).toBe(Infinity)
    expect(numberKind.normalize(f(), '-infinity')).toBe(-Infinity)
    expect(numberKind.normalize(f(), 'NaN')).toBeNaN()
  })
  it.each<[Partial<NumberField>, unknown, unknown]>([
    [{}, 0, null], [{}, 5.5, null],
    [{ required: true }, 0, { code: 'validation_required', message: 'Cannot be blank.' }],
    [{}, NaN, { code: 'validation_not_a_number', message: 'The submitted number is not properly formatted.' }],
    [{}, Infinity, { code: 'validation_not_a_number', message: 'The submitted number is not properly formatted.' }],
    [{ onlyInt: true }, 1.5, { code: 'validation_only_int_constraint', message: 'Decimal numbers are not allowed.' }],
    [{ onlyInt: true }, 2, null],
    [{ min: 2 }, 1, { code: 'validation_min_number_constraint', message: 'Must be larger than 2.', params: { min: 2 } }],
    [{ min: 2 }, 0, null], // 0 is "empty" in PocketBase
    [{ max: 10.5 }, 11, { code: 'validation_max_number_constraint', message: 'Must be less than 10.5.', params: { max: 10.5 } }],
    [{ min: -5, max: 5 }, -5, null],
    [{}, '5', { code: 'validation_unsupported_value_type', message: 'Invalid or unsupported value type.' }],
  ])('validate %j %j', (o, v, out) => expect(numberKind.validate(f(o), v, ctx)).toEqual(out))
  it.each<[Partial<NumberField>, Record<string, string>]>([
    [{ min: 1, max: 2 }, {}],
    [{ min: 3, max: 2 }, { max: 'validation_min_greater_equal_than_required' }],
    [{ onlyInt: true, min: 1.5, max: 2.5 }, { min: 'validation_only_int_constraint', max: 'validation_only_int_constraint' }],
  ])('validateOptions %j', (o, out) => expect(codes(numberKind.validateOptions(f(o), lookup))).toEqual(out))
  it('db mapping', () => {
    expect(numberKind.fromDb(f(), 3)).toBe(3)
    expect(numberKind.fromDb(f(), null)).toBe(0)
    expect(numberKind.fromDb(f(), '4.5')).toBe(4.5)
    expect(numberKind.toDb(f(), 7)).toBe(7)
  })
})

describe('bool', () => {
  const f = (required = false) => boolKind.withDefaults({ name: 'b', required })
  it.each<[unknown, boolean]>([
    [true, true], [false, false], ['true', true], ['1', true], ['t', true], ['TRUE', true], ['True', true],
    ['false', false], ['0', false], ['yes', false], ['', false], [1, true], [0, false], [2, true], [null, false],
    [{ $ne: null }, false], [['true'], false],
  ])('normalize %j → %j', (raw, out) => expect(boolKind.normalize(f(), raw)).toBe(out))
  it('required means true', () => {
    expect(boolKind.validate(f(true), false, ctx)).toEqual({ code: 'validation_required', message: 'Cannot be blank.' })
    expect(boolKind.validate(f(true), true, ctx)).toBeNull()
    expect(boolKind.validate(f(), false, ctx)).toBeNull()
  })
  it('db mapping', () => {
    expect(boolKind.toDb(f(), true)).toBe(1)
    expect(boolKind.toDb(f(), false)).toBe(0)
    expect(boolKind.fromDb(f(), 1)).toBe(true)
    expect(boolKind.fromDb(f(), 0)).toBe(false)
    expect(boolKind.fromDb(f(), null)).toBe(false)
    expect(boolKind.zeroValue(f())).toBe(false)
    expect(boolKind.columnKind(f())).toBe('bool')
  })
})

describe('email', () => {
  const f = (o: Partial<EmailField> = {}) => emailKind.withDefaults({ name: 'email', ...o })
  it('defaults keep nil domain lists', () => {
    expect(f()).toMatchObject({ exceptDomains: null, onlyDomains: null, required: false })
  })
  it('normalize keeps case and coerces to string', () => {
    expect(emailKind.normalize(f(), 'John@Example.COM')).toBe('John@Example.COM')
    expect(emailKind.normalize(f(), { $ne: null })).toBe('')
  })
  it.each<[string, string | null]>([
    ['a@b.co', null], ['john.doe+tag@example.com', null], ["o'reilly@x.io", null], ['x@localhost', null],
    ['', null], ['plain', 'validation_is_email'], ['@x.com', 'validation_is_email'], ['a@', 'validation_is_email'],
    ['a@b..com', 'validation_is_email'], ['a@-b.com', 'validation_is_email'], ['a b@c.com', 'validation_is_email'],
    ['a@b.com\n', 'validation_is_email'], ['a'.repeat(65) + '@x.com', 'validation_is_email'],
    [`a@${'b'.repeat(250)}.com`, 'validation_is_email'], ['a@b@c.com', 'validation_is_email'],
  ])('validate %j', (v, c) => expect(code(emailKind.validate(f(), v, ctx))).toBe(c))
  it('is linear on hostile input', () => {
    const t = Date.now()
    emailKind.validate(f(), 'a'.repeat(100000) + '@' + 'b.'.repeat(50000), ctx)
    expect(Date.now() - t).toBeLessThan(100)
  })
  it('domains', () => {
    expect(code(emailKind.validate(f({ onlyDomains: ['example.com'] }), 'a@Example.com', ctx))).toBeNull()
    expect(emailKind.validate(f({ onlyDomains: ['example.com'] }), 'a@other.com', ctx)).toEqual({ code: 'validation_email_domain_not_allowed', message: 'Email domain is not allowed.' })
    expect(code(emailKind.validate(f({ exceptDomains: ['spam.io'] }), 'a@spam.io', ctx))).toBe('validation_email_domain_not_allowed')
    expect(code(emailKind.validate(f({ exceptDomains: ['spam.io'] }), 'a@ok.io', ctx))).toBeNull()
    expect(code(emailKind.validate(f({ required: true }), '', ctx))).toBe('validation_required')
  })
  it.each<[Partial<EmailField>, Record<string, string>]>([
    [{ onlyDomains: ['example.com'] }, {}],
    [{ onlyDomains: ['a.com'], exceptDomains: ['b.com'] }, { onlyDomains: 'validation_empty', exceptDomains: 'validation_empty' }],
    [{ exceptDomains: ['not a domain'] }, { exceptDomains: 'validation_is_domain' }],
  ])('validateOptions %j', (o, out) => expect(codes(emailKind.validateOptions(f(o), lookup))).toEqual(out))
})

describe('url', () => {
  const f = (o: Partial<UrlField> = {}) => urlKind.withDefaults({ name: 'site', ...o })
  it.each<[string, string | null]>([
    ['https://example.com', null], ['http://example.com:8080/path?q=1#x', null], ['ftp://files.example.com/a', null],
    ['', null], ['example.com', 'validation_invalid_url'], ['javascript:alert(1)', 'validation_invalid_url'],
    ['http://', 'validation_invalid_url'], ['https://exa mple.com', 'validation_invalid_url'],
    ['mailto:a@b.com', 'validation_invalid_url'], ['https://example.com/\n', 'validation_invalid_url'],
    ['https://' + 'a'.repeat(2100) + '.com', 'validation_invalid_url'],
  ])('validate %j', (v, c) => expect(code(urlKind.validate(f(), v, ctx))).toBe(c))
  it('domains compare the host', () => {
    expect(code(urlKind.validate(f({ onlyDomains: ['example.com'] }), 'https://example.com/x', ctx))).toBeNull()
    expect(urlKind.validate(f({ onlyDomains: ['example.com'] }), 'https://evil.com/example.com', ctx)).toEqual({ code: 'validation_url_domain_not_allowed', message: 'Url domain is not allowed.' })
    expect(code(urlKind.validate(f({ exceptDomains: ['evil.com'] }), 'https://EVIL.com', ctx))).toBe('validation_url_domain_not_allowed')
  })
  it('invalid url message', () => {
    expect(urlKind.validate(f(), 'nope', ctx)).toEqual({ code: 'validation_invalid_url', message: 'Must be a valid url.' })
  })
})

describe('editor', () => {
  const f = (o: Partial<EditorField> = {}) => editorKind.withDefaults({ name: 'body', ...o })
  it('defaults', () => expect(f()).toMatchObject({ maxSize: 0, convertURLs: false }))
  it('size limit in bytes (0 → 5 MiB)', () => {
    expect(editorKind.validate(f({ maxSize: 4 }), 'éé', ctx)).toBeNull()
    expect(editorKind.validate(f({ maxSize: 4 }), 'ééé', ctx)).toEqual({ code: 'validation_content_size_limit', message: 'The maximum allowed content size is 4 bytes.', params: { maxSize: 4 } })
    expect(code(editorKind.validate(f(), 'a'.repeat(5 * 1024 * 1024), ctx))).toBeNull()
    expect(code(editorKind.validate(f(), 'a'.repeat(5 * 1024 * 1024 + 1), ctx))).toBe('validation_content_size_limit')
    expect(code(editorKind.validate(f({ required: true }), '', ctx))).toBe('validation_required')
  })
  it('validateOptions', () => {
    expect(codes(editorKind.validateOptions(f({ maxSize: -1 }), lookup))).toEqual({ maxSize: 'validation_min_greater_equal_than_required' })
  })
})

describe('password', () => {
  const f = (o: Partial<PasswordField> = {}) => passwordKind.withDefaults({ name: 'password', ...o })
  it('defaults: min 8', () => expect(f()).toMatchObject({ min: 8, max: 0, pattern: '', cost: 0, required: false }))
  it.each<[Partial<PasswordField>, string, unknown]>([
    [{}, '12345678', null],
    [{}, '1234567', { code: 'validation_min_text_constraint', message: 'Must be at least 8 character(s).', params: { min: 8 } }],
    [{}, 'a'.repeat(71), null],
    [{}, 'a'.repeat(72), { code: 'validation_max_text_constraint', message: 'Must be less than 71 character(s).', params: { max: 71 } }],
    [{ max: 10 }, 'a'.repeat(11), { code: 'validation_max_text_constraint', message: 'Must be less than 10 character(s).', params: { max: 10 } }],
    [{ pattern: '\\d' }, 'abcdefgh', { code: 'validation_invalid_format', message: 'Invalid value format.' }],
    [{ required: true }, '', { code: 'validation_required', message: 'Cannot be blank.' }],
  ])('validate %j %j', (o, v, out) => expect(passwordKind.validate(f(o), v, ctx)).toEqual(out))
  it('normalize → string', () => {
    expect(passwordKind.normalize(f(), 12345678)).toBe('12345678')
    expect(passwordKind.normalize(f(), { $ne: '' })).toBe('')
  })
  it.each<[Partial<PasswordField>, Record<string, string>]>([
    [{}, {}],
    [{ min: 80 }, { min: 'validation_max_less_equal_than_required' }],
    [{ min: 10, max: 5 }, { max: 'validation_min_greater_equal_than_required' }],
    [{ cost: 3 }, { cost: 'validation_min_greater_equal_than_required' }],
    [{ pattern: '(' }, { pattern: 'validation_invalid_regex' }],
  ])('validateOptions %j', (o, out) => expect(codes(passwordKind.validateOptions(f(o), lookup))).toEqual(out))
})
