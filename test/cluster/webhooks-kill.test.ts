// kill -9 of a node mid-dispatch in a 2-node PostgreSQL cluster: webhook deliveries are held in flight by a
// real receiver when node A dies; node B takes over A's delivery jobs once their leases lapse (and the
// dispatcher's lease, if A held it). Every change acknowledged by either node reaches the receiver, always with one event id.
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, startCluster, waitFor, type Cluster } from './support.ts'
import { startHoldingReceiver, type HoldingReceiver } from '../support/webhook-receiver.ts'

let cl: Cluster
let rx: HoldingReceiver

beforeAll(async () => {
  rx = await startHoldingReceiver(40)
  cl = await startCluster(2, {
    collections: [{ name: 'k9', fields: [{ name: 'n', type: 'number' }], createRule: '' }],
    env: { BASALT_WEBHOOKS_ALLOW_PRIVATE: 'true', BASALT_JOBS_LEASE_MS: '1500', BASALT_JOBS_POLL_MS: '100' },
  })
})
afterAll(async () => {
  await cl?.close()
  await rx?.close()
})

describe('webhooks across a node kill', () => {
  it('delivers every acknowledged change at least once, with the same event id, after a node dies mid-dispatch', async () => {
    const [A, B] = cl.nodes
    const { url, got, held } = rx
    const hook = await api(A.url, 'POST', '/api/collections/_webhooks/records', { token: cl.token, body: { url, collections: ['k9'], secret: `whsec_${randomBytes(24).toString('base64')}`, active: true } })
    expect(hook.status).toBe(200)

    const committed = new Set<string>()
    let stop = false
    let afterKill = 0
    let killed = false
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const node = (i + w) % 2 === 0 ? A : B
        if (killed && node === A) continue
        try {
          const r = await api(node.url, 'POST', '/api/collections/k9/records', { body: { n: w * 100_000 + i } })
          if (r.status === 200) { committed.add(r.body.id); if (killed) afterKill++ }
        } catch { /* A's connections drop at the kill: not acknowledged */ }
      }
    }
    const writers = [0, 1, 2, 3].map(writer)
    await waitFor(() => committed.size >= 150 && held.length >= 5, 60_000, () => `writes (${committed.size}) and held deliveries (${held.length})`)
    await A.kill()
    killed = true
    await waitFor(() => afterKill >= 50, 30_000, 'writes to B after the kill')
    stop = true
    await Promise.all(writers)
    rx.release()

    await waitFor(() => {
      const delivered = new Set(got.map((g) => g.subject))
      return [...committed].every((id) => delivered.has(id))
    }, 90_000, () => `every committed change delivered (${new Set(got.map((g) => g.subject)).size} of ${committed.size})\n${cl.logs()}`)
    const idsBySubject = new Map<string, Set<string>>()
    for (const g of got) {
      expect(g.webhookId).toBe(g.bodyId)
      let ids = idsBySubject.get(g.subject)
      if (!ids) idsBySubject.set(g.subject, (ids = new Set()))
      ids.add(g.webhookId)
    }
    for (const id of committed) expect(idsBySubject.get(id)!.size, `event ids of ${id}`).toBe(1)
  }, 240_000)
})
