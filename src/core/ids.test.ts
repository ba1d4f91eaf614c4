// Identifier shapes: record ids are random; log ids lead with the time so they sort by it.
import { describe, expect, it } from 'vitest'
import { newLogId, newRecordId } from './ids.ts'

describe('newRecordId', () => {
  it('is 15 characters of [a-z0-9] and does not repeat', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => newRecordId()))
    expect(ids.size).toBe(10_000)
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]{15}$/)
  })
})

describe('newLogId', () => {
  it('has the record-id shape, so the API and PocketBase clients accept it', () => {
    expect(newLogId(Date.now())).toMatch(/^[a-z0-9]{15}$/)
    expect(newLogId(0)).toMatch(/^0{9}[a-z0-9]{6}$/)
  })

  it('sorts by time across milliseconds (appends to the index) and stays unique within one', () => {
    const t = Date.parse('2026-12-04T10:00:00Z')
    const ids = Array.from({ length: 2000 }, (_, i) => newLogId(t + Math.floor(i / 100)))
    for (let i = 100; i < ids.length; i += 100) expect(ids[i - 1].slice(0, 9) < ids[i].slice(0, 9)).toBe(true)
    expect([...ids].sort().map((id) => id.slice(0, 9))).toEqual(ids.map((id) => id.slice(0, 9)))
    expect(new Set(ids).size).toBe(ids.length)
  })
})
