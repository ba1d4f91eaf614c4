// SECURITY.md M1/M3: check-then-act under concurrency — rules and constraints hold for every parallel request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { allSecrets, dbRows, expectClientError, raw, setupWorld, type RawResponse, type World } from './fixture.ts'

let w: World
let secrets: string[]
type Row = Record<string, any>

beforeAll(async () => {
  w = await setupWorld()
  await w.su.collections.create({
    name: 'wallets', type: 'base',
    fields: [{ name: 'balance', type: 'number' }],
    listRule: '', viewRule: '', createRule: null, updateRule: 'balance >= 10', deleteRule: null,
  })
  await w.su.collections.create({
    name: 'floored', type: 'base',
    fields: [{ name: 'balance', type: 'number', min: 0 }],
    listRule: '', viewRule: '', createRule: null, updateRule: '', deleteRule: null,
  })
  await w.su.collections.create({
    name: 'counters', type: 'base',
    fields: [{ name: 'n', type: 'number' }],
    listRule: '', viewRule: '', createRule: null, updateRule: '', deleteRule: null,
  })
  secrets = await allSecrets(w)
})
afterAll(async () => { await w?.close() })

/** Fires all requests at once (start barrier), returns the responses. */
async function burst(n: number, make: (i: number) => Promise<RawResponse>): Promise<RawResponse[]> {
  let go!: () => void
  const gate = new Promise<void>((r) => (go = r))
  const all = Array.from({ length: n }, (_, i) => gate.then(() => make(i)))
  go()
  return Promise.all(all)
}

const count = (rs: RawResponse[], status: number) => rs.filter((r) => r.status === status).length

describe('M1 balance guarded by the update rule', () => {
  it('balance 100, rule `balance >= 10`, 50× {"balance-":10} → exactly 10 succeed, final 0', async () => {
    const wallet = await w.su.collection('wallets').create({ balance: 100 })
    const rs = await burst(50, () => raw(w, 'PATCH', `/api/collections/wallets/records/${wallet.id}`, { token: w.a.token, body: { 'balance-': 10 } }))
    expect(count(rs, 200), rs.map((r) => r.status).join(',')).toBe(10)
    for (const r of rs.filter((x) => x.status !== 200)) expectClientError(r, 404, secrets)
    const final = (await dbRows<Row>(w, 'wallets')).find((r) => r.id === wallet.id)!
    expect(final.balance).toBe(0)
    // Successful responses show a strictly decreasing, never negative balance.
    const seen = rs.filter((r) => r.status === 200).map((r) => r.json.balance).sort((a, b) => a - b)
    expect(seen).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90])
  })
  it('field min 0 instead of a rule: 50× {"balance-":10} from 100 → 10 succeed, others 400, final 0', async () => {
    const rec = await w.su.collection('floored').create({ balance: 100 })
    const rs = await burst(50, () => raw(w, 'PATCH', `/api/collections/floored/records/${rec.id}`, { body: { 'balance-': 10 } }))
    expect(count(rs, 200), rs.map((r) => r.status).join(',')).toBe(10)
    for (const r of rs.filter((x) => x.status !== 200)) expectClientError(r, 400, secrets)
    expect((await dbRows<Row>(w, 'floored')).find((r) => r.id === rec.id)!.balance).toBe(0)
  })
  it('no lost updates: 100× {"n+":1} → n = 100', async () => {
    const rec = await w.su.collection('counters').create({ n: 0 })
    const rs = await burst(100, () => raw(w, 'PATCH', `/api/collections/counters/records/${rec.id}`, { body: { 'n+': 1 } }))
    expect(count(rs, 200)).toBe(100)
    expect((await dbRows<Row>(w, 'counters')).find((r) => r.id === rec.id)!.n).toBe(100)
  })
  it('parallel delete + update of the same record: no 500, no resurrection', async () => {
    const rec = await w.su.collection('counters').create({ n: 0 })
    const rs = await burst(20, (i) => i % 2
      ? raw(w, 'PATCH', `/api/collections/counters/records/${rec.id}`, { body: { 'n+': 1 } })
      : raw(w, 'DELETE', `/api/collections/counters/records/${rec.id}`, { token: w.suToken }))
    for (const r of rs) expect([200, 204, 404], r.text).toContain(r.status)
    expect(count(rs, 204)).toBe(1)
    expect((await dbRows<Row>(w, 'counters')).find((r) => r.id === rec.id)).toBeUndefined()
  })
})

describe('M3 parallel sign-ups with the same e-mail', () => {
  it('20× same e-mail incl. case variants → exactly one 200, others 400 validation_not_unique, never 500', async () => {
    const base = `race-${Date.now()}@example.com`
    const variants = [base, base.toUpperCase(), base.replace('race', 'RACE'), base.replace('example', 'EXAMPLE')]
    const rs = await burst(20, (i) => raw(w, 'POST', '/api/collections/users/records', {
      body: { email: variants[i % variants.length], password: 'password123', passwordConfirm: 'password123' },
    }))
    expect(count(rs, 200), rs.map((r) => `${r.status}`).join(',')).toBe(1)
    for (const r of rs.filter((x) => x.status !== 200)) {
      expectClientError(r, 400, secrets)
      expect(r.json.data?.email?.code, r.text).toBe('validation_not_unique')
    }
    const stored = (await dbRows<Row>(w, 'users')).filter((u) => String(u.email).toLowerCase() === base.toLowerCase())
    expect(stored).toHaveLength(1)
  })
  it('parallel sign-ups with the same custom id → one 200, the rest clean 400', async () => {
    const rs = await burst(10, (i) => raw(w, 'POST', '/api/collections/users/records', {
      body: { id: 'raceid123456789', email: `id-race-${i}-${Date.now()}@example.com`, password: 'password123', passwordConfirm: 'password123' },
    }))
    expect(count(rs, 200)).toBe(1)
    for (const r of rs.filter((x) => x.status !== 200)) expectClientError(r, 400, secrets)
  })
})
