import { describe, expect, it } from 'vitest'
import { PerKeyCounter } from './limits.ts'
import { ConfigError, DEFAULT_HTTP_LIMITS, fromEnv } from '../config.ts'

describe('PerKeyCounter', () => {
  it('refuses past the cap per key and frees slots on release', () => {
    const c = new PerKeyCounter(2)
    expect([c.tryAcquire('a'), c.tryAcquire('a'), c.tryAcquire('a'), c.tryAcquire('b')]).toEqual([true, true, false, true])
    c.release('a')
    expect(c.count('a')).toBe(1)
    expect(c.tryAcquire('a')).toBe(true)
  })
  it('a cap of 0 is no cap', () => {
    const c = new PerKeyCounter(0)
    for (let i = 0; i < 1000; i++) expect(c.tryAcquire('a')).toBe(true)
  })
})

describe('HTTP limits from the environment', () => {
  it('reads each BASALT_* limit over the defaults', () => {
    const cfg = fromEnv({ BASALT_HEADERS_TIMEOUT_MS: '5000', BASALT_MAX_REALTIME_PER_IP: '0' })
    expect(cfg.http).toEqual({ ...DEFAULT_HTTP_LIMITS, headersTimeoutMs: 5000, maxRealtimePerIp: 0 })
  })
  it('refuses a zero timeout or a non-number', () => {
    expect(() => fromEnv({ BASALT_BODY_TIMEOUT_MS: '0' })).toThrow(ConfigError)
    expect(() => fromEnv({ BASALT_MAX_CONNECTIONS_PER_IP: 'many' })).toThrow(ConfigError)
  })
})
