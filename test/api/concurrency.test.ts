// Concurrent writes: atomic modifiers, unique emails under racing sign-ups, distinct ids.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type PocketBase from 'pocketbase'
import { startServer, type TestServer } from '../support/server.ts'
import { PASSWORD, codeOf, failure } from './helpers.ts'

let s: TestServer
let su: PocketBase

beforeAll(async () => {
  s = await startServer()
  su = await s.superuser()
  await su.collections.create({
    name: 'counters', listRule: '', viewRule: '', createRule: '', updateRule: '',
    fields: [{ name: 'count', type: 'number' }, { name: 'label', type: 'text' }],
  })
})
afterAll(async () => { await s?.close() })

/** Settles every promise and splits results into fulfilled values and failures. */
async function settle<T>(promises: Promise<T>[]) {
  const results = await Promise.allSettled(promises)
  return {
    ok: results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])),
    failed: results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : [])),
  }
}

describe('concurrency', () => {
  it('50 parallel `count+: 1` updates from separate clients all land', async () => {
    const rec = await su.collection('counters').create({ count: 0 })
    const { ok, failed } = await settle(Array.from({ length: 50 }, () => s.client().collection('counters').update(rec.id, { 'count+': 1 })))
    expect(failed).toEqual([])
    expect(ok).toHaveLength(50)
    expect((await su.collection('counters').getOne(rec.id)).count).toBe(50)
    // every response saw a distinct intermediate value
    expect(new Set(ok.map((r) => r.count)).size).toBe(50)
  })

  it('mixed `count+` / `count-` in parallel end at the exact sum', async () => {
    const rec = await su.collection('counters').create({ count: 100 })
    const ops = Array.from({ length: 40 }, (_, i) => (i % 4 === 0 ? { 'count-': 3 } : { 'count+': 2 }))
    const { failed } = await settle(ops.map((body) => s.client().collection('counters').update(rec.id, body)))
    expect(failed).toEqual([])
    expect((await su.collection('counters').getOne(rec.id)).count).toBe(100 + 30 * 2 - 10 * 3)
  })

  it('20 parallel sign-ups with the same email (case variants too): exactly one wins', async () => {
    const variants = ['race@example.com', 'RACE@example.com', 'Race@Example.com', 'race@EXAMPLE.COM']
    const attempts = Array.from({ length: 20 }, (_, i) => s.client().collection('users').create({
      email: variants[i % variants.length], password: PASSWORD, passwordConfirm: PASSWORD,
    }))
    const { ok, failed } = await settle(attempts)
    expect(ok).toHaveLength(1)
    expect(failed).toHaveLength(19)
    for (const err of failed) {
      const f = await failure(Promise.reject(err))
      expect(f.status).toBe(400)
      expect(codeOf(f, 'email')).toBe('validation_not_unique')
    }
    const stored = await su.collection('users').getFullList({ filter: 'email ~ "race@example.com"' })
    expect(stored).toHaveLength(1)
    expect(stored[0].id).toBe(ok[0].id)
  })

  it('a sign-up racing with an existing account gets validation_not_unique too', async () => {
    await s.client().collection('users').create({ email: 'exists@example.com', password: PASSWORD, passwordConfirm: PASSWORD })
    const f = await failure(s.client().collection('users').create({ email: 'EXISTS@example.com', password: PASSWORD, passwordConfirm: PASSWORD }))
    expect(f.body).toMatchObject({ status: 400, data: { email: { code: 'validation_not_unique' } } })
    expect(Object.keys(f.body.data ?? {})).toEqual(['email'])
  })

  it('parallel creates all succeed with distinct ids', async () => {
    const { ok, failed } = await settle(Array.from({ length: 60 }, (_, i) => s.client().collection('counters').create({ label: `p${i}` })))
    expect(failed).toEqual([])
    expect(new Set(ok.map((r) => r.id)).size).toBe(60)
    const stored = await su.collection('counters').getFullList({ filter: 'label ~ "p%"' })
    expect(stored.map((r) => r.label).sort()).toEqual(ok.map((r) => r.label).sort())
  })
})
