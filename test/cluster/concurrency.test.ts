// Races across nodes on one PostgreSQL. Basalt runs update transactions at READ COMMITTED and locks
// the target row first (`SELECT … FOR UPDATE`), so `count+: 1` read-modify-writes and rule checks
// serialize per row across every node; uniqueness (e-mail, case-insensitive) is left to a unique index
// whose violation maps to 400 `validation_not_unique`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, startCluster, type ApiResult, type Cluster } from './support.ts'

let cl: Cluster

beforeAll(async () => {
  cl = await startCluster(3, {
    collections: [
      { name: 'counters', fields: [{ name: 'count', type: 'number' }] },
      { name: 'wallets', viewRule: '', updateRule: 'balance >= 10', fields: [{ name: 'balance', type: 'number' }] },
    ],
  })
})
afterAll(async () => { await cl?.close() })

/** Fires all requests at once: every request is prepared first, then released by one barrier. */
async function burst<T>(n: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  let release!: () => void
  const barrier = new Promise<void>((r) => (release = r))
  const all = Array.from({ length: n }, (_, i) => barrier.then(() => fn(i)))
  release()
  return Promise.all(all)
}

const tally = (rs: ApiResult[]) => rs.reduce<Record<number, number>>((m, r) => ({ ...m, [r.status]: (m[r.status] ?? 0) + 1 }), {})

describe('concurrent writes across nodes', () => {
  it('200 concurrent `count+: 1` on one record through 3 nodes (READ COMMITTED + SELECT … FOR UPDATE) end at 200', async () => {
    const created = await api(cl.nodes[0].url, 'POST', '/api/collections/counters/records', { token: cl.token, body: { count: 0 } })
    expect(created.status).toBe(200)
    const id = created.body.id
    const results = await burst(200, (i) =>
      api(cl.nodes[i % 3].url, 'PATCH', `/api/collections/counters/records/${id}`, { token: cl.token, body: { 'count+': 1 }, timeoutMs: 30_000 }))
    expect(tally(results), JSON.stringify(results.find((r) => r.status !== 200)?.body)).toEqual({ 200: 200 })
    for (const n of cl.nodes) {
      const r = await api(n.url, 'GET', `/api/collections/counters/records/${id}`, { token: cl.token })
      expect(r.body.count, n.name).toBe(200)
    }
  })

  it('50 concurrent `balance-: 10` with updateRule `balance >= 10` on balance 100: exactly 10 succeed, never negative', async () => {
    const created = await api(cl.nodes[0].url, 'POST', '/api/collections/wallets/records', { token: cl.token, body: { balance: 100 } })
    expect(created.status).toBe(200)
    const id = created.body.id
    // As a guest, so the update rule applies (superusers bypass rules).
    const results = await burst(50, (i) =>
      api(cl.nodes[i % 3].url, 'PATCH', `/api/collections/wallets/records/${id}`, { body: { 'balance-': 10 }, timeoutMs: 30_000 }))
    // Unsatisfied updateRule → 404 (PocketBase convention).
    expect(tally(results)).toEqual({ 200: 10, 404: 40 })
    expect(results.filter((r) => r.status === 200).every((r) => r.body.balance >= 0)).toBe(true)
    expect((await api(cl.nodes[1].url, 'GET', `/api/collections/wallets/records/${id}`)).body.balance).toBe(0)
  })

  it('20 concurrent sign-ups of one e-mail (case variants) through 3 nodes: exactly one 200, the rest 400 validation_not_unique', async () => {
    const variants = ['race@example.com', 'Race@Example.com', 'RACE@EXAMPLE.COM', 'rAcE@example.COM', 'race@EXAMPLE.com']
    const results = await burst(20, (i) => {
      const email = variants[i % variants.length]
      return api(cl.nodes[i % 3].url, 'POST', '/api/collections/users/records', {
        body: { email, password: 'race-password-1', passwordConfirm: 'race-password-1' }, timeoutMs: 30_000,
      })
    })
    expect(tally(results), JSON.stringify(results.filter((r) => r.status !== 200 && r.status !== 400).map((r) => r.body))).toEqual({ 200: 1, 400: 19 })
    for (const r of results.filter((x) => x.status === 400)) {
      expect(r.body?.data?.email?.code, JSON.stringify(r.body)).toBe('validation_not_unique')
      expect(JSON.stringify(r.body)).not.toMatch(/duplicate key|unique constraint|23505/i)
    }
    const users = await api(cl.nodes[2].url, 'GET', `/api/collections/users/records?perPage=100&filter=${encodeURIComponent('email ~ "race@"')}`, { token: cl.token })
    expect(users.status).toBe(200)
    expect(users.body.items.filter((u: { email: string }) => u.email.toLowerCase() === 'race@example.com')).toHaveLength(1)
  })
})
