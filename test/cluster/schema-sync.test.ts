// Nodes are stateless: a schema change made through one node is visible on the others within 1 s
// (Redis schema invalidation), and tokens issued by one node are valid on every other (keys in the DB).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, createCollection, signUp, startCluster, type Cluster } from './support.ts'

let cl: Cluster
let A: string, B: string, C: string

beforeAll(async () => {
  cl = await startCluster(3)
  ;[A, B, C] = cl.nodes.map((n) => n.url)
})
afterAll(async () => { await cl?.close() })

/** Polls `probe` until it holds; returns the elapsed ms since `since`, or throws after `limitMs`. */
async function within(limitMs: number, since: number, what: string, probe: () => Promise<boolean>): Promise<number> {
  for (;;) {
    if (await probe()) return Date.now() - since
    if (Date.now() - since > limitMs) throw new Error(`${what}: not within ${limitMs} ms\n${cl.logs()}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

describe('schema changes propagate between nodes', () => {
  it('a collection created through node A is usable through B and C within 1 s', async () => {
    await createCollection(A, cl.token, { name: 'notes', listRule: '', viewRule: '', createRule: '', fields: [{ name: 'text', type: 'text' }] })
    const t0 = Date.now()
    for (const node of [B, C]) {
      await within(1000, t0, `notes on ${node}`, async () =>
        (await api(node, 'POST', '/api/collections/notes/records', { body: { text: `via ${node}` } })).status === 200)
    }
    const list = await api(B, 'GET', '/api/collections/notes/records')
    expect(list.status).toBe(200)
    expect(list.body.items.map((r: { text: string }) => r.text).sort()).toEqual([`via ${B}`, `via ${C}`].sort())
  })

  it('a field added through B is accepted by A and C within 1 s; a rule changed through C applies on A and B', async () => {
    const u = await api(B, 'PATCH', '/api/collections/notes', { token: cl.token, body: { fields: [{ name: 'text', type: 'text' }, { name: 'rank', type: 'number' }] } })
    expect(u.status).toBe(200)
    const t0 = Date.now()
    for (const node of [A, C]) {
      await within(1000, t0, `field rank on ${node}`, async () => {
        const r = await api(node, 'POST', '/api/collections/notes/records', { body: { text: 'ranked', rank: 7 } })
        return r.status === 200 && r.body.rank === 7
      })
    }
    // Lock creation through C: A and B must stop accepting guest creates.
    expect((await api(C, 'PATCH', '/api/collections/notes', { token: cl.token, body: { createRule: null } })).status).toBe(200)
    const t1 = Date.now()
    for (const node of [A, B]) {
      await within(1000, t1, `locked createRule on ${node}`, async () =>
        (await api(node, 'POST', '/api/collections/notes/records', { body: { text: 'nope' } })).status === 403)
    }
  })

  it('a collection deleted through C disappears from A and B within 1 s', async () => {
    await createCollection(A, cl.token, { name: 'scratch', listRule: '', fields: [{ name: 'x', type: 'text' }] })
    const t0 = Date.now()
    await within(1000, t0, 'scratch on C', async () => (await api(C, 'GET', '/api/collections/scratch/records')).status === 200)
    expect((await api(C, 'DELETE', '/api/collections/scratch', { token: cl.token })).status).toBe(204)
    const t1 = Date.now()
    for (const node of [A, B]) {
      await within(1000, t1, `scratch gone on ${node}`, async () => (await api(node, 'GET', '/api/collections/scratch/records')).status === 404)
    }
  })
})

describe('tokens are node-independent', () => {
  it('a superuser token issued by A works on B and C', async () => {
    for (const node of [B, C]) {
      const r = await api(node, 'GET', '/api/collections?perPage=100', { token: cl.token })
      expect(r.status, node).toBe(200)
      expect(r.body.items.map((c: { name: string }) => c.name)).toContain('notes')
    }
  })

  it('a user token issued by A is valid on B and C (refresh and rule-checked access)', async () => {
    // Only the built-in users collection is involved, so this does not depend on schema propagation.
    const u = await signUp(A, 'stateless@example.com')
    const other = await signUp(B, 'other@example.com')
    for (const node of [B, C]) {
      const refresh = await api(node, 'POST', '/api/collections/users/auth-refresh', { token: u.token })
      expect(refresh.status, node).toBe(200)
      expect(refresh.body.record.id).toBe(u.id)
      // users' list/view rules are `id = @request.auth.id`: the token's identity drives the rule on every node.
      const list = await api(node, 'GET', '/api/collections/users/records', { token: u.token })
      expect(list.status, node).toBe(200)
      expect(list.body.items.map((r: { id: string }) => r.id)).toEqual([u.id])
      expect((await api(node, 'GET', `/api/collections/users/records/${other.id}`, { token: u.token })).status, node).toBe(404)
    }
    // A forged token (signature changed) is rejected everywhere.
    const forged = u.token.slice(0, -2) + (u.token.endsWith('A') ? 'BB' : 'AA')
    for (const node of [A, B, C]) expect((await api(node, 'POST', '/api/collections/users/auth-refresh', { token: forged })).status, node).toBe(401)
  })

  it('a password change through B revokes the old token on A and C too', async () => {
    const u = await signUp(C, 'revoke@example.com', 'first-password-1')
    const changed = await api(B, 'PATCH', `/api/collections/users/records/${u.id}`, {
      token: u.token, body: { oldPassword: 'first-password-1', password: 'second-password-2', passwordConfirm: 'second-password-2' },
    })
    expect(changed.status).toBe(200)
    for (const node of [A, B, C]) {
      expect((await api(node, 'POST', '/api/collections/users/auth-refresh', { token: u.token })).status, node).toBe(401)
    }
    const login = await api(A, 'POST', '/api/collections/users/auth-with-password', { body: { identity: u.email, password: 'second-password-2' } })
    expect(login.status).toBe(200)
    for (const node of [B, C]) expect((await api(node, 'POST', '/api/collections/users/auth-refresh', { token: login.body.token })).status, node).toBe(200)
  })
})
