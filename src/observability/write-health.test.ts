import os from 'node:os'
import { describe, expect, it } from 'vitest'
import { unwritableReason } from '../store/storage-errors.ts'
import { WriteHealth } from './write-health.ts'

describe('unwritableReason', () => {
  it('recognises SQLite, PostgreSQL and fs storage errors, also as a cause, and nothing else', () => {
    expect(unwritableReason({ code: 'SQLITE_FULL' })).toBe('the disk is full')
    expect(unwritableReason({ code: 'SQLITE_IOERR_WRITE' })).toMatch(/I\/O error/)
    expect(unwritableReason({ code: 'SQLITE_READONLY_DBMOVED' })).toMatch(/read-only/)
    expect(unwritableReason({ code: '53100' })).toMatch(/disk is full/)
    expect(unwritableReason(new Error('wrapped', { cause: Object.assign(new Error('x'), { code: 'ENOSPC' }) }))).toBe('the disk is full')
    for (const other of [null, 'ENOSPC', {}, { code: 'SQLITE_CONSTRAINT_UNIQUE' }, { code: '23505' }, { code: 'ECONNREFUSED' }, { code: 42 }]) {
      expect(unwritableReason(other)).toBeNull()
    }
  })
})

describe('WriteHealth', () => {
  it('a storage failure makes it unhealthy until a write succeeds or the failure ages out', () => {
    let now = 1_000
    const h = new WriteHealth({ dataDir: null, failureTtlMs: 30_000, now: () => now })
    expect(h.status()).toEqual({ canWrite: true })
    h.noteFailure('the disk is full')
    expect(h.status()).toEqual({ canWrite: false, reason: 'the disk is full' })
    h.noteSuccess()
    expect(h.status().canWrite).toBe(true)
    h.noteFailure('the disk is full')
    now += 29_999
    expect(h.status().canWrite).toBe(false)
    now += 1
    expect(h.status().canWrite).toBe(true)
  })

  it('reports too little free space in the data directory', () => {
    expect(new WriteHealth({ dataDir: os.tmpdir(), minFreeBytes: 1 }).status()).toEqual({ canWrite: true })
    const st = new WriteHealth({ dataDir: os.tmpdir(), minFreeBytes: Number.MAX_SAFE_INTEGER }).status()
    expect(st.canWrite).toBe(false)
    expect(st.reason).toMatch(/bytes free/)
  })
})
