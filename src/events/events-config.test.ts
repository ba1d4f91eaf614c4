// Events configuration from the environment: consumers need their broker URL, breaker values are validated.
import { describe, expect, it } from 'vitest'
import { ConfigError, DEFAULTS, fromEnv } from '../config.ts'

describe('events configuration from the environment', () => {
  it('reads consumers, the breaker and the outbox switch', () => {
    const e = fromEnv({
      BASALT_EVENTS_AMQP_URL: 'amqp://x', BASALT_EVENTS_AMQP_CONSUME: 'orders=>handleOrder',
      BASALT_EVENTS_MQTT_URL: 'mqtt://x', BASALT_EVENTS_MQTT_CONSUME: '$share/g/shop/+=>paid',
      BASALT_WEBHOOKS_BREAKER_THRESHOLD: '3', BASALT_WEBHOOKS_BREAKER_COOLDOWN_MS: '500', BASALT_EVENTS_OUTBOX: 'false',
    }).events!
    expect(e.amqpConsume).toEqual([{ source: 'orders', job: 'handleOrder' }])
    expect(e.mqttConsume).toEqual([{ source: '$share/g/shop/+', job: 'paid' }])
    expect(e.webhooksBreaker).toEqual({ ...DEFAULTS.events.webhooksBreaker, threshold: 3, cooldownMs: 500 })
    expect(e.outbox).toBe(false)
    expect(fromEnv({ BASALT_WEBHOOKS_ALLOW_PRIVATE: 'true' }).events!.outbox).toBe(true)
  })

  it('refuses a consumer without its broker, a malformed route and a zero threshold', () => {
    expect(() => fromEnv({ BASALT_EVENTS_AMQP_CONSUME: 'orders=>x' })).toThrow(/needs BASALT_EVENTS_AMQP_URL/)
    expect(() => fromEnv({ BASALT_EVENTS_MQTT_URL: 'mqtt://x', BASALT_EVENTS_MQTT_CONSUME: 'a/#/b=>x' })).toThrow(ConfigError)
    expect(() => fromEnv({ BASALT_WEBHOOKS_BREAKER_THRESHOLD: '0' })).toThrow(ConfigError)
  })
})
