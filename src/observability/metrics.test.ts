import { describe, expect, it } from 'vitest'
import { ConfigError, fromEnv } from '../config.ts'
import { tokenMatches } from '../http/routes/metrics.ts'
import { AppMetrics } from './metrics.ts'

const sources = { realtimeClients: () => 2, realtimeDelivered: () => 10, realtimeDropped: () => 1, db: () => ({ store: 'postgres' as const, total: 4, idle: 3, waiting: 5 }) }

describe('AppMetrics', () => {
  it('each app has its own registry: two apps in one process do not collide', async () => {
    const a = new AppMetrics(sources)
    const b = new AppMetrics({ ...sources, realtimeClients: () => 9 })
    a.requestDuration.observe({ method: 'GET', route: '/x', status: '200' }, 0.01)
    expect((await a.render()).body).toContain('basalt_realtime_clients 2')
    const body = (await b.render()).body
    expect(body).toContain('basalt_realtime_clients 9')
    expect(body).not.toContain('route="/x"')
  })

  it('reads services at scrape time; owned totals are exposed as counters', async () => {
    let delivered = 10
    const m = new AppMetrics({ ...sources, realtimeDelivered: () => delivered })
    expect((await m.render()).body).toContain('basalt_realtime_messages_delivered_total 10')
    delivered = 25
    const body = (await m.render()).body
    expect(body).toContain('# TYPE basalt_realtime_messages_delivered_total counter')
    expect(body).toContain('basalt_realtime_messages_delivered_total 25')
    expect(body).toContain('basalt_db_pool_connections{state="idle"} 3')
    expect(body).toContain('basalt_db_waiting{store="postgres"} 5')
  })
})

describe('metrics token', () => {
  it('compares exactly; a missing side never matches', () => {
    expect(tokenMatches('a'.repeat(20), 'a'.repeat(20))).toBe(true)
    expect(tokenMatches('a'.repeat(20), 'a'.repeat(19))).toBe(false)
    expect(tokenMatches(null, '')).toBe(false)
    expect(tokenMatches('a'.repeat(20), null)).toBe(false)
  })
  it('BASALT_METRICS_TOKEN must be 16+ printable characters', () => {
    expect(fromEnv({ BASALT_METRICS_TOKEN: 'x'.repeat(16) }).metricsToken).toBe('x'.repeat(16))
    expect(() => fromEnv({ BASALT_METRICS_TOKEN: 'short' })).toThrow(ConfigError)
    expect(() => fromEnv({ BASALT_METRICS_TOKEN: 'has a space in it ok' })).toThrow(ConfigError)
  })
})
