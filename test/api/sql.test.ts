// POST /api/sql: the superuser SQL console through the SDK (pb.sql.run), read-only by default, deadline, access.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type PocketBase from 'pocketbase'
import { startServer, TEST_STORE, type TestServer } from '../support/server.ts'
import { codeOf, failure, signUp } from './helpers.ts'

let s: TestServer
let su: PocketBase
beforeAll(async () => {
  s = await startServer()
  su = await s.superuser()
  await su.collections.create({ name: 'items', type: 'base', listRule: '', fields: [{ name: 'label', type: 'text' }, { name: 'qty', type: 'number' }] })
  for (const [label, qty] of [['a', 1], ['b', 2], ['c', 3]] as const) await su.collection('items').create({ label, qty })
})
afterAll(async () => { await s?.close() })

const count = async () => (await su.collection('items').getFullList()).length

describe('POST /api/sql', () => {
  it('runs a SELECT and answers PocketBase\'s shape: execTime, affectedRows, columns, rows as strings', async () => {
    const r = await su.sql.run('SELECT label, qty FROM items ORDER BY label')
    expect(r.execTime).toEqual(expect.any(Number))
    expect(r.affectedRows).toBe(0)
    expect(r.columns.map((c) => c.name)).toEqual(['label', 'qty'])
    for (const c of r.columns) expect(c).toEqual({ name: expect.any(String), type: expect.any(String), nullable: expect.any(Boolean) })
    expect(r.columns[0].nullable).toBe(false) // record columns are NOT NULL
    expect(r.rows).toEqual([['a', '1'], ['b', '2'], ['c', '3']])
  })

  it('is read-only unless "write": true is sent; writes then commit and report affected rows', async () => {
    for (const query of ["UPDATE items SET label = 'x'", 'DELETE FROM items', 'SELECT 1; DELETE FROM items', 'DROP TABLE items']) {
      const f = await failure(su.sql.run(query))
      expect(f.status, query).toBe(400)
      expect(codeOf(f, 'query'), query).toBe('validation_read_only_query')
    }
    expect(await count()).toBe(3)
    const w = await su.send('/api/sql', { method: 'POST', body: { query: "UPDATE items SET qty = qty + 10 WHERE label != 'a'", write: true } })
    expect(w.affectedRows).toBe(2)
    expect((await su.sql.run('SELECT SUM(qty) AS total FROM items')).rows).toEqual([['26']])
    const chained = await failure(su.send('/api/sql', { method: 'POST', body: { query: 'DELETE FROM items; DELETE FROM _superusers', write: true } }))
    expect(chained.status).toBe(400)
    expect(await count()).toBe(3)
  })

  it('cancels a statement that runs past its deadline', async () => {
    const slow = TEST_STORE === 'postgres' ? 'SELECT pg_sleep(5)' :
      'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT i FROM n WHERE i < 0'
    const started = Date.now()
    const f = await failure(su.send('/api/sql', { method: 'POST', body: { query: slow, timeout: 300 } }))
    expect(f.status).toBe(400)
    expect(codeOf(f, 'query')).toBe('validation_query_timeout')
    expect(Date.now() - started).toBeLessThan(4000)
    expect((await su.sql.run('SELECT COUNT(*) AS n FROM items')).rows).toEqual([['3']]) // still serving
  })

  it('validates the body and reports engine errors as 400', async () => {
    expect(codeOf(await failure(su.sql.run('')), 'query')).toBe('validation_required')
    expect(codeOf(await failure(su.sql.run('SELECT ' + 'x'.repeat(5001))), 'query')).toBe('validation_length_too_long')
    expect(codeOf(await failure(su.sql.run('SELECT nope FROM no_such_table')), 'query')).toBe('validation_invalid_query')
    expect(codeOf(await failure(su.send('/api/sql', { method: 'POST', body: { query: 'SELECT 1', timeout: 10 ** 9 } })), 'timeout')).toBe('validation_invalid_value')
  })

  it('refuses guests (401) and non-superuser tokens (403)', async () => {
    expect((await failure(s.client().sql.run('SELECT 1'))).status).toBe(401)
    const { pb } = await signUp(s)
    const f = await failure(pb.send('/api/sql', { method: 'POST', body: { query: 'DELETE FROM items', write: true } }))
    expect(f.status).toBe(403)
    expect(await count()).toBe(3)
  })
})
