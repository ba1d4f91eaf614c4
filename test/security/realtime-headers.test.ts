// Realtime rules on @request.headers.*: only headers really sent count, never a topic's JSON `options.headers`.
import type PocketBase from 'pocketbase'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { waitFor } from '../support/server.ts'
import { setupWorld, type World } from './fixture.ts'

let w: World
const clients: PocketBase[] = []
type Evt = { action: string; record: Record<string, any> }
const KEY = 'gateway-key-0123456789'

beforeAll(async () => {
  w = await setupWorld()
  // A rule a gateway would enforce by stripping/setting the header; a JSON body field is out of its reach.
  const rule = `@request.headers.x_api_key = "${KEY}"`
  await w.su.collections.create({
    name: 'gated', type: 'base', listRule: rule, viewRule: rule, createRule: null,
    fields: [{ name: 'title', type: 'text' }],
  })
})
afterAll(async () => {
  for (const pb of clients) await pb.realtime.unsubscribe().catch(() => {})
  await w?.close()
})

/** A guest SDK client; `header` is sent as a real HTTP header on its requests (the subscription POST included). */
function guest(header?: string): PocketBase {
  const pb = w.s.client()
  if (header) pb.beforeSend = (url, options) => ({ url, options: { ...options, headers: { ...options.headers, 'x-api-key': header } } })
  clients.push(pb)
  return pb
}

async function collect(pb: PocketBase, topic: string, opts?: Record<string, unknown>): Promise<Evt[]> {
  const events: Evt[] = []
  await pb.collection('gated').subscribe(topic, (e) => events.push(e as Evt), opts)
  return events
}

describe('@request.headers in realtime rules', () => {
  it('options.headers in the topic do not satisfy the rule; the real header does', async () => {
    const forged = await collect(guest(), '*', { headers: { 'X-Api-Key': KEY } })
    const forgedOne = guest()
    const real = await collect(guest(KEY), '*')
    // Same topic string as `real` (memo keys must not let it ride on the other client's authorization).
    const sameTopicNoHeader = await collect(guest(), '*')
    const wrongHeader = await collect(guest('wrong'), '*', { headers: { 'X-Api-Key': KEY } })

    const rec = await w.su.collection('gated').create({ title: 'for key holders' })
    const forgedRecord = await collect(forgedOne, rec.id, { headers: { 'x-api-key': KEY } })
    await w.su.collection('gated').update(rec.id, { title: 'edited' })

    await waitFor(() => real.length === 2, 5000, 'events for the real header')
    // Let any wrongly delivered event arrive before asserting absence.
    await new Promise((r) => setTimeout(r, 200))
    expect(real.map((e) => e.action)).toEqual(['create', 'update'])
    expect(forged).toEqual([])
    expect(forgedRecord).toEqual([])
    expect(sameTopicNoHeader).toEqual([])
    expect(wrongHeader).toEqual([])
  })

  it('the REST API agrees: the rule reads the real header only', async () => {
    const withHeader = await fetch(`${w.s.url}/api/collections/gated/records`, { headers: { 'x-api-key': KEY } }).then((r) => r.json())
    const without = await fetch(`${w.s.url}/api/collections/gated/records`).then((r) => r.json())
    expect(withHeader.totalItems).toBe(1)
    expect(without.totalItems).toBe(0)
  })
})
