// SIGKILL of one node while writes stream round-robin through 3 nodes: every acknowledged (200) write
// is in PostgreSQL afterwards (read back through a survivor), and the survivors never stop accepting
// writes. The killed node, restarted, serves the same data.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, listAll, startCluster, waitFor, type Cluster } from './support.ts'

let cl: Cluster

beforeAll(async () => {
  cl = await startCluster(3, { collections: [{ name: 'notes', fields: [{ name: 'text', type: 'text' }, { name: 'seq', type: 'number' }] }] })
})
afterAll(async () => { await cl?.close() })

describe('node kill during a write stream', () => {
  it('loses no acknowledged write and the survivors keep succeeding', async () => {
    const [A, B, C] = cl.nodes
    // A superuser writes, so no rule is in the way.
    const acknowledged = new Map<string, { seq: number; node: string }>()
    const survivorFailures: string[] = []
    let killedAt = -1
    let seq = 0
    let stop = false
    let afterKill = 0

    const writer = async (w: number) => {
      for (let i = w; !stop; i += 4) {
        const node = cl.nodes[i % 3]
        const mySeq = seq++
        try {
          const r = await api(node.url, 'POST', '/api/collections/notes/records', { token: cl.token, body: { text: `w${w}-${mySeq}`, seq: mySeq } })
          if (r.status === 200) {
            acknowledged.set(r.body.id, { seq: mySeq, node: node.name })
            if (killedAt >= 0 && node !== B) afterKill++
          } else if (node !== B) survivorFailures.push(`${node.name} seq ${mySeq}: ${r.status} ${JSON.stringify(r.body)}`)
        } catch (err) {
          // The killed node refuses or drops connections: an unknown outcome, not an acknowledgement.
          if (node !== B) survivorFailures.push(`${node.name} seq ${mySeq}: ${(err as Error).message}`)
        }
      }
    }
    const writers = [0, 1, 2, 3].map(writer)
    await waitFor(() => acknowledged.size >= 60, 15_000, '60 acknowledged writes before the kill')
    killedAt = acknowledged.size
    await B.kill()
    expect(B.alive()).toBe(false)
    await waitFor(() => afterKill >= 60, 15_000, '60 acknowledged writes to the survivors after the kill')
    stop = true
    await Promise.all(writers)

    expect(survivorFailures, cl.logs()).toEqual([])
    const stored = await listAll(C.url, cl.token, 'notes')
    const byId = new Map(stored.map((r) => [r.id as string, r]))
    const lost = [...acknowledged].filter(([id]) => !byId.has(id)).map(([id, w]) => `${id} (seq ${w.seq} via ${w.node})`)
    expect(lost).toEqual([])
    for (const [id, w] of acknowledged) expect(byId.get(id)!.seq).toBe(w.seq)
    // No write was applied twice.
    expect(new Set(stored.map((r) => r.seq)).size).toBe(stored.length)
    expect(stored.length).toBeGreaterThanOrEqual(acknowledged.size)
    // The other survivor agrees.
    expect((await listAll(A.url, cl.token, 'notes')).length).toBe(stored.length)

    // The killed node comes back on the same database and serves the same data.
    await B.start()
    const again = await listAll(B.url, cl.token, 'notes')
    expect(again.map((r) => r.id).sort()).toEqual(stored.map((r) => r.id).sort())
    expect((await api(B.url, 'POST', '/api/collections/notes/records', { token: cl.token, body: { text: 'after restart', seq: -1 } })).status).toBe(200)
  })
})
