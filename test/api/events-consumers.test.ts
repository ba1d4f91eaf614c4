// RabbitMQ and MQTT → jobs against the real servers (RabbitMQ 127.0.0.1:5672, Mosquitto 127.0.0.1:1883):
// messages become durable jobs with the parsed body, deduplicated by message id while queued, and are
// acknowledged to the broker only after the job was committed.
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import amqp from 'amqplib'
import mqtt from 'mqtt'
import { startServer, waitFor, type TestServer } from '../support/server.ts'
import { AMQP_URL, MQTT_URL, answers } from '../support/brokers.ts'
import { DEFAULTS } from '../../src/config.ts'
import { parseAmqpConsumeRoutes, parseMqttConsumeRoutes } from '../../src/events/brokers/consume-routes.ts'
import { topicMatches } from '../../src/events/brokers/mqtt-consumer.ts'

const amqpUp = await answers(AMQP_URL, 5672)
const mqttUp = await answers(MQTT_URL, 1883)
if (!amqpUp) console.warn(`SKIP rabbitmq: nothing answered at ${AMQP_URL}; the RabbitMQ consumer tests are skipped.`)
if (!mqttUp) console.warn(`SKIP mqtt: nothing answered at ${MQTT_URL}; the MQTT consumer tests are skipped.`)

const run = randomBytes(4).toString('hex')
const jobsOf = async (s: TestServer, name: string) => (await s.app.jobs.list({ name, perPage: 1000, sort: 'created' })).items

describe('consume route lists', () => {
  it('reads QUEUE=>JOB and TOPIC_FILTER=>JOB pairs and names a malformed part', () => {
    expect(parseAmqpConsumeRoutes(' orders => handleOrder, pay.q=>pay ')).toEqual([{ source: 'orders', job: 'handleOrder' }, { source: 'pay.q', job: 'pay' }])
    expect(() => parseAmqpConsumeRoutes('orders handleOrder')).toThrow(/BASALT_EVENTS_AMQP_CONSUME: "orders handleOrder" is not QUEUE=>JOB/)
    expect(parseMqttConsumeRoutes('shop/+/paid=>paid, $share/basalt/orders/#=>order')).toEqual([{ source: 'shop/+/paid', job: 'paid' }, { source: '$share/basalt/orders/#', job: 'order' }])
    for (const bad of ['a/#/b=>x', 'a+/b=>x', '$SYS/x=>x', 'a/b=>']) expect(() => parseMqttConsumeRoutes(bad), bad).toThrow(/BASALT_EVENTS_MQTT_CONSUME/)
  })

  it('matches MQTT topics against filters (+ one level, # the rest, $share prefix ignored)', () => {
    expect(topicMatches('a/+/c', 'a/b/c')).toBe(true)
    expect(topicMatches('a/+/c', 'a/b/d')).toBe(false)
    expect(topicMatches('a/#', 'a/b/c')).toBe(true)
    expect(topicMatches('a/#', 'a')).toBe(true)
    expect(topicMatches('$share/g/a/+', 'a/x')).toBe(true)
    expect(topicMatches('a/b', 'a/b/c')).toBe(false)
  })
})

describe.skipIf(!amqpUp)('consuming RabbitMQ messages into jobs', () => {
  const queue = `bt.consume.${run}`
  const job = `amqp_${run}`
  let s: TestServer | undefined
  let conn: amqp.ChannelModel
  let ch: amqp.Channel

  beforeAll(async () => {
    conn = await amqp.connect(AMQP_URL)
    ch = await conn.createChannel()
    s = await startServer({ events: { ...DEFAULTS.events, amqpUrl: AMQP_URL, amqpExchange: `bt.events.${run}`, amqpConsume: [{ source: queue, job }] } })
  })
  afterAll(async () => {
    await s?.close()
    await ch?.deleteQueue(queue).catch(() => {})
    await ch?.deleteExchange(`bt.events.${run}`).catch(() => {})
    await conn?.close()
  })

  it('declares a missing queue, enqueues one job per message id with the parsed body, and acks only what it enqueued', async () => {
    const server = s!
    // The queue appears once the consumer attached (declared durable because it was missing).
    await waitFor(async () => {
      const probe = await conn.createChannel()
      probe.on('error', () => {})
      try { await probe.checkQueue(queue); await probe.close(); return true } catch { return false }
    }, 10_000, 'the consumer to declare its queue')
    // No handler yet: the jobs stay queued, so the duplicate is seen while the first is pending.
    ch.sendToQueue(queue, Buffer.from(JSON.stringify({ total: 7 })), { messageId: `m1-${run}`, persistent: true })
    ch.sendToQueue(queue, Buffer.from(JSON.stringify({ total: 7 })), { messageId: `m1-${run}`, persistent: true })
    ch.sendToQueue(queue, Buffer.from('plain text'), { messageId: `m2-${run}`, persistent: true })
    const queued = (await waitFor(async () => { const j = await jobsOf(server, job); return j.length >= 2 ? j : undefined }, 10_000, 'two jobs'))!
    await new Promise((r) => setTimeout(r, 300))
    expect((await jobsOf(server, job)).map((j) => j.payload)).toEqual([
      { queue, exchange: '', routingKey: queue, data: { total: 7 }, messageId: `m1-${run}` },
      { queue, exchange: '', routingKey: queue, data: 'plain text', messageId: `m2-${run}` },
    ])
    expect(queued[0].uniqueKey).toBe(`amqp:${queue}:m1-${run}`)
    const ran: unknown[] = []
    server.app.jobs.define(job, (j) => { ran.push(j.payload) })
    await waitFor(() => ran.length >= 2, 10_000, 'both jobs to run')
    // Closing the consumer's connection returns unacked messages to the queue: none are left, so all were acked.
    await server.close()
    s = undefined
    expect((await ch.checkQueue(queue)).messageCount).toBe(0)
  })
})

describe.skipIf(!mqttUp)('consuming MQTT messages into jobs', () => {
  const root = `btc${run}`
  const jobA = `mqtt_a_${run}`
  const jobB = `mqtt_b_${run}`
  let s: TestServer
  let pub: mqtt.MqttClient

  beforeAll(async () => {
    pub = await mqtt.connectAsync(MQTT_URL, { protocolVersion: 5, clientId: `bt-cpub-${run}` })
    s = await startServer({ events: { ...DEFAULTS.events, mqttUrl: MQTT_URL, mqttClientId: `bt-c-${run}`, mqttConsume: [{ source: `${root}/orders/+`, job: jobA }, { source: `${root}/held/#`, job: jobB }] } })
  })
  afterAll(async () => {
    await s?.close()
    await pub?.endAsync()
    // Drop the persistent session the consumer left on the server.
    await mqtt.connectAsync(MQTT_URL, { protocolVersion: 5, clientId: `bt-c-${run}-consumer`, clean: true }).then((c) => c.endAsync()).catch(() => {})
  })

  it('runs the mapped job with topic, parsed body and message id; a redelivered id is one job while queued', async () => {
    const got: { topic: string; data: unknown; messageId: string }[] = []
    s.app.jobs.define(jobA, (j) => { got.push(j.payload as typeof got[number]) })
    // Publish until the consumer's subscription is in place (MQTT does not keep messages nobody subscribed to).
    await waitFor(async () => {
      await pub.publishAsync(`${root}/orders/warmup`, 'w', { qos: 1 })
      await new Promise((r) => setTimeout(r, 200))
      return got.some((g) => g.topic.endsWith('/warmup'))
    }, 15_000, 'the consumer to subscribe')
    await pub.publishAsync(`${root}/orders/new`, JSON.stringify({ total: 7 }), { qos: 1, properties: { userProperties: { 'message-id': `m1-${run}` } } })
    await pub.publishAsync(`${root}/orders/paid`, 'plain text', { qos: 1, properties: { userProperties: { 'ce-id': `m2-${run}` } } })
    await waitFor(() => got.filter((g) => !g.topic.endsWith('/warmup')).length >= 2, 10_000, 'two jobs')
    expect(got.filter((g) => !g.topic.endsWith('/warmup'))).toEqual([
      { topic: `${root}/orders/new`, data: { total: 7 }, messageId: `m1-${run}` },
      { topic: `${root}/orders/paid`, data: 'plain text', messageId: `m2-${run}` },
    ])

    // jobB has no handler: its jobs stay queued. In-order QoS 1 delivery: once h2's job exists, both h1s were handled.
    for (const id of ['h1', 'h1', 'h2']) await pub.publishAsync(`${root}/held/x`, id, { qos: 1, properties: { userProperties: { 'message-id': `${id}-${run}` } } })
    const held = (await waitFor(async () => { const j = await jobsOf(s, jobB); return j.some((x) => (x.payload as { messageId: string }).messageId === `h2-${run}`) ? j : undefined }, 10_000, 'the h2 job'))!
    expect(held.map((j) => (j.payload as { data: string }).data)).toEqual(['h1', 'h2'])
    expect(held[0].uniqueKey).toBe(`mqtt:h1-${run}`)
  })
})

describe.skipIf(!mqttUp)('MQTT consumer session', () => {
  const root = `btr${run}`
  const job = `mqtt_r_${run}`
  const clientId = `bt-r-${run}`
  let pub: mqtt.MqttClient

  afterAll(async () => {
    await pub?.endAsync()
    await mqtt.connectAsync(MQTT_URL, { protocolVersion: 5, clientId: `${clientId}-consumer`, clean: true }).then((c) => c.endAsync()).catch(() => {})
  })

  it('gets the messages published while Basalt was down once it is back (persistent QoS 1 session)', async () => {
    const config = { events: { ...DEFAULTS.events, mqttUrl: MQTT_URL, mqttClientId: clientId, mqttConsume: [{ source: `${root}/#`, job }] } }
    pub = await mqtt.connectAsync(MQTT_URL, { protocolVersion: 5, clientId: `bt-rpub-${run}` })
    const first = await startServer(config)
    const seen: string[] = []
    first.app.jobs.define(job, (j) => { seen.push((j.payload as { data: string }).data) })
    try {
      await waitFor(async () => {
        await pub.publishAsync(`${root}/warmup`, 'warmup', { qos: 1 })
        await new Promise((r) => setTimeout(r, 200))
        return seen.includes('warmup')
      }, 15_000, 'the consumer to subscribe')
    } finally {
      await first.close()
    }
    // Nobody connected: the server keeps these for the consumer's session.
    for (const text of ['while-down-1', 'while-down-2']) await pub.publishAsync(`${root}/x`, text, { qos: 1 })
    const second = await startServer(config)
    try {
      const later: string[] = []
      second.app.jobs.define(job, (j) => { later.push((j.payload as { data: string }).data) })
      await waitFor(() => later.includes('while-down-1') && later.includes('while-down-2'), 15_000, 'the messages kept by the session')
    } finally {
      await second.close()
    }
  })
})
