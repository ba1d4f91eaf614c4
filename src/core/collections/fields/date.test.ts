// Tests for date and autodate fields.
import { describe, expect, it } from 'vitest'
import { dateKind, normalizeDate } from './date.ts'
import { autodateKind, stamp } from './autodate.ts'
import type { DateField } from '../types.ts'

const ctx = { isNew: true }
const lookup = { find: () => undefined }
const f = (o: Partial<DateField> = {}) => dateKind.withDefaults({ name: 'when', ...o })

describe('date normalize', () => {
  it.each<[unknown, string]>([
    ['2024-05-01 10:20:30.123Z', '2024-05-01 10:20:30.123Z'],
    ['2024-05-01T10:20:30Z', '2024-05-01 10:20:30.000Z'],
    ['2024-05-01T10:20:30.123456789Z', '2024-05-01 10:20:30.123Z'],
    ['2024-05-01T12:20:30+02:00', '2024-05-01 10:20:30.000Z'],
    ['2024-05-01 10:20:30 -0700', '2024-05-01 17:20:30.000Z'],
    ['2024-05-01 10:20:30', '2024-05-01 10:20:30.000Z'],
    ['2024-05-01', '2024-05-01 00:00:00.000Z'],
    ['2024-02-29', '2024-02-29 00:00:00.000Z'],
    ['2023-02-29', ''], ['2024-13-01', ''], ['2024-05-01 24:00:00', ''], ['yesterday', ''], ['', ''],
    ['2024-05-01T10:20:30+25:00', ''], ['0000-01-01 00:00:00Z', '0000-01-01 00:00:00.000Z'],
    ['9999-12-31T23:59:59-01:00', ''],
    [1714558830, ''], [null, ''], [true, ''], [{ $gt: '' }, ''], [['2024-05-01'], ''],
    [new Date('2024-05-01T10:20:30.5Z'), '2024-05-01 10:20:30.500Z'], [new Date('x'), ''],
  ])('%j → %j', (raw, out) => expect(dateKind.normalize(f(), raw)).toBe(out))
})

describe('date validate', () => {
  it.each<[Partial<DateField>, unknown, unknown]>([
    [{}, '', null],
    [{ required: true }, '', { code: 'validation_required', message: 'Cannot be blank.' }],
    [{}, '2024-05-01 00:00:00.000Z', null],
    [{}, 'garbage', { code: 'validation_date_invalid', message: 'Must be a valid date.' }],
    [{ min: '2024-01-01' }, '2023-12-31 23:59:59.999Z', { code: 'validation_min_greater_equal_than_required', message: 'Must be no less than 2024-01-01 00:00:00.000Z.', params: { threshold: '2024-01-01 00:00:00.000Z' } }],
    [{ min: '2024-01-01' }, '2024-01-01 00:00:00.000Z', null],
    [{ max: '2024-01-01' }, '2024-01-01 00:00:00.001Z', { code: 'validation_max_less_equal_than_required', message: 'Must be no greater than 2024-01-01 00:00:00.000Z.', params: { threshold: '2024-01-01 00:00:00.000Z' } }],
    [{}, 5, { code: 'validation_unsupported_value_type', message: 'Invalid or unsupported value type.' }],
  ])('%j %j', (o, v, out) => expect(dateKind.validate(f(o), v, ctx)).toEqual(out))
})

describe('date options', () => {
  it('withDefaults normalizes bounds', () => {
    expect(f({ min: '2024-01-01T00:00:00Z' }).min).toBe('2024-01-01 00:00:00.000Z')
    expect(f()).toMatchObject({ min: '', max: '', required: false })
  })
  it.each<[Partial<DateField>, Record<string, string>]>([
    [{ min: '2024-01-01', max: '2025-01-01' }, {}],
    [{ min: '2025-01-01', max: '2024-01-01' }, { max: 'validation_date_out_of_range' }],
    [{ min: 'soon' }, { min: 'validation_date_invalid' }],
  ])('%j', (o, out) => {
    const errors = dateKind.validateOptions(f(o), lookup)
    expect(Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, v.code]))).toEqual(out)
  })
  it('db mapping', () => {
    expect(dateKind.fromDb(f(), null)).toBe('')
    expect(dateKind.toDb(f(), '2024-05-01 00:00:00.000Z')).toBe('2024-05-01 00:00:00.000Z')
    expect(dateKind.columnKind(f())).toBe('text')
  })
  it('normalizeDate is exported for other modules', () => expect(normalizeDate('2024-05-01')).toBe('2024-05-01 00:00:00.000Z'))
})

describe('autodate', () => {
  const created = autodateKind.withDefaults({ name: 'created', onCreate: true })
  const updated = autodateKind.withDefaults({ name: 'updated', onCreate: true, onUpdate: true })
  const now = new Date('2024-05-01T10:20:30.123Z')
  it('defaults and the PocketBase ids', () => {
    expect(created).toMatchObject({ id: 'autodate2990389176', onCreate: true, onUpdate: false })
    expect(updated.id).toBe('autodate3332085495')
  })
  it('ignores client input and never fails validation', () => {
    expect(autodateKind.normalize(created, '2000-01-01 00:00:00.000Z')).toBe('')
    expect(autodateKind.validate(created, 'anything', ctx)).toBeNull()
  })
  it('stamp', () => {
    expect(stamp(created, true, now, '')).toBe('2024-05-01 10:20:30.123Z')
    expect(stamp(created, false, now, '2020-01-01 00:00:00.000Z')).toBe('2020-01-01 00:00:00.000Z')
    expect(stamp(updated, false, now, '2020-01-01 00:00:00.000Z')).toBe('2024-05-01 10:20:30.123Z')
    expect(stamp(autodateKind.withDefaults({ name: 'x', onUpdate: true }), true, now, undefined)).toBe('')
  })
  it('requires onCreate or onUpdate', () => {
    const errors = autodateKind.validateOptions(autodateKind.withDefaults({ name: 'x' }), lookup)
    expect(errors.onCreate).toEqual({ code: 'validation_required', message: 'Either onCreate or onUpdate must be enabled.' })
    expect(errors.onUpdate?.code).toBe('validation_required')
    expect(autodateKind.validateOptions(created, lookup)).toEqual({})
  })
})
