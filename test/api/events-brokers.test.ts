// Outbox → RabbitMQ and MQTT against the real servers (RabbitMQ 127.0.0.1:5672, Mosquitto 127.0.0.1:1883):
// record changes made through the SDK arrive as CloudEvents, in order, with the event id attached.
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import amqp from 'amqplib'
import mqtt from 'mqtt'
import { startServer, waitFor, type TestServer } from '../support/server.ts'
import { AMQP_URL, MQTT_URL, answers } from '../support/brokers.ts'
import { DEFAULTS } from '../../src/config.ts'
import { AmqpPublisher } from '../../src/events/brokers/amqp.ts'
import { MqttPublisher } from '../../src/events/brokers/mqtt.ts'
import type { CloudEvent } from '../../src/events/cloudevents.ts'

const amqpUp = await answers(AMQP_URL, 5672)
const mqttUp = await answers(MQTT_URL, 1883)
if (!amqpUp) console.warn(`SKIP rabbitmq: nothing answered at ${AMQP_URL}; the RabbitMQ publisher tests are skipped.`)
if (!mqttUp) console.warn(`SKIP mqtt: nothing answered at ${MQTT_URL}; the MQTT publisher tests are skipped.`)

const run = randomBytes(4).toString('hex')
const prefix = `bt${run}`
const anEvent = (id: string): CloudEvent => ({ specversion: '1.0', id, source: 'basalt://t/app', type: 'test.thing', time: new Date().toISOString(), datacontenttype: 'application/json', data: { n: 1 }, basaltseq: 0 })

describe.skipIf(!amqpUp)('publishing the outbox to RabbitMQ', () => {
  const exchange = `bt.events.${run}`
  let s: TestServer
  let conn: amqp.ChannelModel
  let ch: amqp.Channel
  const got: amqp.ConsumeMessage[] = []

  beforeAll(async () => {
    conn = await amqp.connect(AMQP_URL)
    ch = await conn.createChannel()
    await ch.assertExchange(exchange, 'topic', { durable: true })
    const { queue } = await ch.assertQueue('', { exclusive: true })
    await ch.bindQueue(queue, exchange, `${prefix}.#`)
    await ch.consume(queue, (m) => { if (m) got.push(m) }, { noAck: true })
    s = await startServer({ events: { ...DEFAULTS.events, prefix, amqpUrl: AMQP_URL, amqpExchange: exchange } })
    const su = await s.superuser()
    await su.collections.create({ name: 'amqp_orders', type: 'base', fields: [{ name: 'total', type: 'number' }], createRule: '', updateRule: '' })
  })
  afterAll(async () => {
    await s?.close()
    await ch?.deleteExchange(exchange).catch(() => {})
    await conn?.close()
  })

  it('routes each change as a persistent CloudEvent with the event id as messageId, in order; system collections stay in', async () => {
    const pb = s.client()
    const r = await pb.collection('amqp_orders').create({ total: 5 })
    await pb.collection('amqp_orders').update(r.id, { total: 6 })
    const mine = () => got.filter((m) => m.fields.routingKey.startsWith(`${prefix}.amqp_orders.`))
    await waitFor(() => mine().length >= 2, 10_000, 'two order messages')
    const [first, second] = mine()
    expect(first.fields.routingKey).toBe(`${prefix}.amqp_orders.create`)
    expect(second.fields.routingKey).toBe(`${prefix}.amqp_orders.update`)
    const body = JSON.parse(first.content.toString()) as CloudEvent
    expect(body).toMatchObject({ type: 'basalt.record.create', subject: r.id, data: { total: 5 } })
    expect(first.properties).toMatchObject({ messageId: body.id, contentType: 'application/cloudevents+json', deliveryMode: 2 })
    expect(got.filter((m) => m.fields.routingKey.startsWith(`${prefix}._`))).toEqual([])
  })

  it('rejects a delivery while RabbitMQ is unreachable (nothing is acknowledged)', async () => {
    const p = new AmqpPublisher({ url: 'amqp://guest:guest@127.0.0.1:1', prefix, exchange })
    await expect(p.deliver([anEvent('x')])).rejects.toThrow()
    await p.close()
  })
})

describe.skipIf(!mqttUp)('publishing the outbox to MQTT', () => {
  let s: TestServer
  let sub: mqtt.MqttClient
  const got: { topic: string; body: CloudEvent; props: Record<string, unknown> }[] = []

  beforeAll(async () => {
    sub = await mqtt.connectAsync(MQTT_URL, { protocolVersion: 5, clientId: `bt-sub-${run}` })
    sub.on('message', (topic, payload, packet) => got.push({ topic, body: JSON.parse(payload.toString()), props: (packet.properties?.userProperties ?? {}) as Record<string, unknown> }))
    await sub.subscribeAsync(`${prefix}/#`, { qos: 1 })
    s = await startServer({ events: { ...DEFAULTS.events, prefix, mqttUrl: MQTT_URL, mqttClientId: `bt-pub-${run}` } })
    const su = await s.superuser()
    await su.collections.create({ name: 'mqtt_orders', type: 'base', fields: [{ name: 'total', type: 'number' }], createRule: '', updateRule: '' })
  })
  afterAll(async () => {
    await s?.close()
    await sub?.endAsync()
  })

  it('publishes each change with QoS 1 on <prefix>/<collection>/<action>, in order, with ce-id; system collections stay in', async () => {
    const pb = s.client()
    const r = await pb.collection('mqtt_orders').create({ total: 5 })
    await pb.collection('mqtt_orders').update(r.id, { total: 6 })
    const mine = () => got.filter((m) => m.topic.startsWith(`${prefix}/mqtt_orders/`))
    await waitFor(() => mine().length >= 2, 10_000, 'two order messages')
    const [first, second] = mine()
    expect(first.topic).toBe(`${prefix}/mqtt_orders/create`)
    expect(second.topic).toBe(`${prefix}/mqtt_orders/update`)
    expect(first.body).toMatchObject({ type: 'basalt.record.create', subject: r.id, data: { total: 5 } })
    expect(first.props['ce-id']).toBe(first.body.id)
    expect(got.filter((m) => m.topic.startsWith(`${prefix}/_`))).toEqual([])
  })

  it('rejects a delivery while the MQTT server is unreachable', async () => {
    const p = new MqttPublisher({ url: 'mqtt://127.0.0.1:1', prefix, clientId: `bt-dead-${run}` })
    await expect(p.deliver([anEvent('y')])).rejects.toThrow()
    await p.close()
  })
})
