// Outbox → NATS JetStream against the real nats-server (127.0.0.1:4222 with JetStream): record changes
// made through the SDK arrive in the stream as CloudEvents, in order, with the event id as message id.
import net from 'node:net'
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect, type NatsConnection } from 'nats'
import { startServer, waitFor, type TestServer } from '../support/server.ts'
import { DEFAULTS } from '../../src/config.ts'
import { NatsPublisher, natsSubject } from '../../src/events/brokers/nats.ts'
import type { CloudEvent } from '../../src/events/cloudevents.ts'

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222'
const natsUp = await new Promise<boolean>((resolve) => {
  const { hostname, port } = new URL(NATS_URL)
  const socket = net.connect({ host: hostname, port: Number(port) || 4222 }, () => { socket.destroy(); resolve(true) })
  socket.on('error', () => resolve(false))
  socket.setTimeout(1000, () => { socket.destroy(); resolve(false) })
})
if (!natsUp) console.warn(`SKIP nats: no NATS server answered at ${NATS_URL}; the NATS publisher tests are skipped.`)

describe('natsSubject', () => {
  const ce = (type: string, basaltcollection?: string) => ({ type, basaltcollection } as CloudEvent)
  it('routes record events by collection and action, custom events under app, with unsafe characters replaced', () => {
    expect(natsSubject('basalt', ce('basalt.record.create', 'posts'))).toBe('basalt.posts.create')
    expect(natsSubject('shop.events', ce('order.paid'))).toBe('shop.events.app.order.paid')
    expect(natsSubject('basalt', ce('order paid.*>'))).toBe('basalt.app.order_paid.__')
  })
})

describe.skipIf(!natsUp)('publishing the outbox to JetStream', () => {
  const run = randomBytes(4).toString('hex')
  const prefix = `bt${run}`
  const stream = `BT_${run}`
  let s: TestServer
  let nc: NatsConnection

  beforeAll(async () => {
    s = await startServer({ events: { ...DEFAULTS.events, prefix, natsUrl: NATS_URL, natsStream: stream } })
    nc = await connect({ servers: NATS_URL })
    const su = await s.superuser()
    await su.collections.create({ name: 'nats_orders', type: 'base', fields: [{ name: 'total', type: 'number' }], createRule: '', updateRule: '' })
  })
  afterAll(async () => {
    await s?.close()
    if (nc) {
      await (await nc.jetstreamManager()).streams.delete(stream).catch(() => {})
      await nc.close()
    }
  })

  it('stores each change once, in outbox order, as a CloudEvent with the event id as Nats-Msg-Id', async () => {
    const pb = s.client()
    const r = await pb.collection('nats_orders').create({ total: 5 })
    await pb.collection('nats_orders').update(r.id, { total: 6 })
    const jsm = await nc.jetstreamManager()
    const mine = async () => {
      const count = (await jsm.streams.info(stream).catch(() => null))?.state.messages ?? 0
      const all = await Promise.all(Array.from({ length: count }, (_, i) => jsm.streams.getMessage(stream, { seq: i + 1 })))
      return all.filter((m) => m.subject.startsWith(`${prefix}.nats_orders.`))
    }
    const found = await waitFor(async () => { const m = await mine(); return m.length >= 2 ? m : undefined }, 10_000, 'two order messages in the stream')
    const [first, second, ...more] = found!
    expect(more).toEqual([])
    expect(first.subject).toBe(`${prefix}.nats_orders.create`)
    expect(second.subject).toBe(`${prefix}.nats_orders.update`)
    const body = (first.json() as CloudEvent)
    expect(body).toMatchObject({ specversion: '1.0', type: 'basalt.record.create', subject: r.id, basaltcollection: 'nats_orders' })
    expect((body.data as { total: number }).total).toBe(5)
    expect(first.header.get('Nats-Msg-Id')).toBe(body.id)
    expect((second.json() as CloudEvent).basaltseq).toBeGreaterThan(body.basaltseq)
  })

  it('keeps system collections (superusers, OTPs, MFA, external auths) out of the broker', async () => {
    const jsm = await nc.jetstreamManager()
    const count = (await jsm.streams.info(stream)).state.messages
    const subjects = await Promise.all(Array.from({ length: count }, async (_, i) => (await jsm.streams.getMessage(stream, { seq: i + 1 })).subject))
    expect(subjects.filter((x) => x.startsWith(`${prefix}._`))).toEqual([])
  })

  it('a redelivered batch (same event ids) is not stored twice', async () => {
    const publisher = new NatsPublisher({ url: NATS_URL, prefix, stream })
    const jsm = await nc.jetstreamManager()
    const before = (await jsm.streams.info(stream)).state.messages
    const event = { specversion: '1.0', id: `dup-${run}`, source: 'basalt://t/app', type: 'test.dup', time: new Date().toISOString(), datacontenttype: 'application/json', data: {}, basaltseq: 0 } as CloudEvent
    try {
      await publisher.deliver([event])
      await publisher.deliver([event])
    } finally {
      await publisher.close()
    }
    expect((await jsm.streams.info(stream)).state.messages).toBe(before + 1)
  })

  it('rejects a delivery while the server is unreachable (the dispatcher retries; nothing is acknowledged)', async () => {
    const publisher = new NatsPublisher({ url: 'nats://127.0.0.1:1', prefix, stream })
    const event = { specversion: '1.0', id: 'x', source: 's', type: 't', time: '', datacontenttype: 'application/json', data: {}, basaltseq: 0 } as CloudEvent
    await expect(publisher.deliver([event])).rejects.toThrow()
    await publisher.close()
  })
})

describe('parseConsumeRoutes', () => {
  it('reads SUBJECT=>JOB pairs and names a malformed part', async () => {
    const { parseConsumeRoutes } = await import('../../src/events/brokers/nats-consumer.ts')
    expect(parseConsumeRoutes(' orders.* => handleOrder, pay.> =>pay ')).toEqual([{ subject: 'orders.*', job: 'handleOrder' }, { subject: 'pay.>', job: 'pay' }])
    expect(() => parseConsumeRoutes('orders.* handleOrder')).toThrow(/"orders\.\* handleOrder" is not SUBJECT=>JOB/)
  })
})

describe.skipIf(!natsUp)('consuming JetStream messages into jobs', () => {
  const run = randomBytes(4).toString('hex')
  const stream = `BTC_${run}`
  const subjectRoot = `btc${run}`
  let s: TestServer
  let nc: NatsConnection

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL })
    await (await nc.jetstreamManager()).streams.add({ name: stream, subjects: [`${subjectRoot}.>`] })
    s = await startServer({ events: { ...DEFAULTS.events, natsUrl: NATS_URL, natsStream: `BT_${run}`, prefix: `bt${run}`, natsConsume: [{ subject: `${subjectRoot}.orders.*`, job: `handle_${run}` }] } })
  })
  afterAll(async () => {
    await s?.close()
    if (nc) {
      const jsm = await nc.jetstreamManager()
      await jsm.streams.delete(stream).catch(() => {})
      await jsm.streams.delete(`BT_${run}`).catch(() => {})
      await nc.close()
    }
  })

  it('runs the mapped job once per message id, with the subject and parsed body, and acks after enqueueing', async () => {
    const got: { subject: string; data: unknown; messageId: string }[] = []
    s.app.jobs.define(`handle_${run}`, (job) => { got.push(job.payload as typeof got[number]) })
    const js = nc.jetstream()
    await js.publish(`${subjectRoot}.orders.new`, JSON.stringify({ total: 7 }), { msgID: `m1-${run}` })
    await js.publish(`${subjectRoot}.orders.paid`, 'plain text', { msgID: `m2-${run}` })
    await js.publish(`${subjectRoot}.other.x`, '{}')
    await waitFor(() => got.length >= 2, 10_000, 'two jobs')
    expect(got.map((p) => [p.subject, p.data, p.messageId])).toEqual([
      [`${subjectRoot}.orders.new`, { total: 7 }, `m1-${run}`],
      [`${subjectRoot}.orders.paid`, 'plain text', `m2-${run}`],
    ])
    const jsm = await nc.jetstreamManager()
    await waitFor(async () => (await jsm.consumers.info(stream, `basalt_handle_${run}`)).num_ack_pending === 0, 5000, 'all acked')
    expect((await jsm.consumers.info(stream, `basalt_handle_${run}`)).num_pending).toBe(0)
  })
})
