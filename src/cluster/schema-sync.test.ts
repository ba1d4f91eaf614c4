// SchemaSync with a fake channel and cache: coalesced reloads, retried announcements, change reports.
import { describe, expect, it } from 'vitest'
import type { CollectionService, SchemaChangeListener } from '../core/collections/collection-service.ts'
import type { Collection } from '../core/collections/types.ts'
import { waitFor } from '../realtime/brokers/broker.contract.ts'
import { SchemaSync, type SchemaChannel } from './schema-sync.ts'

function fakeCollections(db: Collection[]) {
  let cache: Collection[] = []
  const listeners: SchemaChangeListener[] = []
  let reloads = 0
  const svc = {
    all: () => cache,
    onChange: (l: SchemaChangeListener) => { listeners.push(l) },
    reload: async () => {
      reloads++
      await new Promise((r) => setTimeout(r, 5))
      cache = structuredClone(db)
    },
  }
  return {
    svc: svc as unknown as CollectionService,
    reloads: () => reloads,
    localChange: (before?: Collection, after?: Collection) => { for (const l of listeners) l(before, after) },
  }
}

function fakeChannel(failures: number) {
  let remote = () => {}
  let sent = 0
  const ch: SchemaChannel = {
    ready: async () => true,
    send: async () => {
      if (failures-- > 0) throw new Error('down')
      sent++
    },
    onRemote: (cb) => { remote = cb },
    onGap: () => {},
    close: async () => {},
  }
  return { ch, sent: () => sent, remote: () => remote() }
}

const coll = (id: string, secret = 's1') => ({ id, name: id, auth: { authToken: { secret } } }) as unknown as Collection

describe('SchemaSync', () => {
  it('retries a failed announcement until it goes out', async () => {
    const c = fakeCollections([])
    const f = fakeChannel(2)
    const sync = new SchemaSync({ collections: c.svc, channel: f.ch, intervalMs: 0, onError: () => {} })
    await sync.start()
    c.localChange(undefined, coll('a'))
    await waitFor(() => f.sent() === 1, 2000)
    await sync.close()
  })

  it('coalesces reload requests and reports what a reload changed', async () => {
    const db = [coll('a'), coll('b')]
    const c = fakeCollections(db)
    const f = fakeChannel(0)
    const changes: string[] = []
    const sync = new SchemaSync({
      collections: c.svc, channel: f.ch, intervalMs: 0,
      onReloadChange: (before, after) => changes.push(`${before?.id ?? '-'}>${after?.id ?? '-'}:${after?.auth?.authToken.secret ?? ''}`),
    })
    await sync.start()
    expect(changes.sort()).toEqual(['->a:s1', '->b:s1'])
    changes.length = 0
    const before = c.reloads()
    db.splice(0, 2, coll('a', 's2'), coll('c'))
    for (let i = 0; i < 10; i++) f.remote()
    await sync.reload()
    await waitFor(() => changes.length === 3)
    expect(c.reloads() - before).toBeLessThanOrEqual(2)
    expect(changes.sort()).toEqual(['->c:s1', 'a>a:s2', 'b>-:'])
    await sync.close()
  })
})
