// Unit tests for the dashboard's pure helpers (ui/src/lib): error flattening, cell text, date conversion.
import { describe, expect, it } from 'vitest'
import { errorOf } from '../src/lib/errors.ts'
import { cellText, fromLocalInput, toLocalInput } from '../src/lib/format.ts'

describe('errorOf', () => {
  it('flattens nested field errors to dotted keys and keeps the message', () => {
    const err = { message: 'x', response: { message: 'Failed to create record.', data: { name: { code: 'validation_required', message: 'Cannot be blank.' }, fields: { 2: { name: { message: 'Duplicate.' } } } } } }
    expect(errorOf(err)).toEqual({ message: 'Failed to create record.', fields: { name: 'Cannot be blank.', 'fields.2.name': 'Duplicate.' } })
  })
  it('copes with network errors, nulls and deep bodies', () => {
    expect(errorOf(new Error('Failed to fetch'))).toEqual({ message: 'Failed to fetch', fields: {} })
    expect(errorOf(null).message).toBe('The request failed.')
    let deep: Record<string, unknown> = { message: 'deep' }
    for (let i = 0; i < 50; i++) deep = { a: deep }
    expect(errorOf({ response: { data: deep } }).fields).toEqual({})
  })
})

describe('cellText', () => {
  it('renders values as plain text, truncated', () => {
    expect(cellText(null)).toBe('')
    expect(cellText(['a', 'b'])).toBe('a, b')
    expect(cellText({ a: 1 })).toBe('{"a":1}')
    expect(cellText('<img src=x onerror=alert(1)>')).toBe('<img src=x onerror=alert(1)>')
    expect(cellText('x'.repeat(200), 10)).toBe('xxxxxxxxx…')
  })
})

describe('date inputs', () => {
  it('maps the API date to a datetime-local value and back (UTC)', () => {
    expect(toLocalInput('2024-05-01 10:20:30.000Z')).toBe('2024-05-01T10:20')
    expect(fromLocalInput('2024-05-01T10:20')).toBe('2024-05-01 10:20:00.000Z')
    expect(toLocalInput('')).toBe('')
    expect(fromLocalInput('')).toBe('')
  })
})
