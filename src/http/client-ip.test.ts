// Client IP resolution: trusted proxies only, right-most untrusted hop, normalization, IPv6 /64 limiter keys.
import { describe, expect, it } from 'vitest'
import { clientIp, DEFAULT_TRUSTED_PROXIES, limiterIpKey, normalizeIp, parseProxyList } from './client-ip.ts'

const loopback = parseProxyList(DEFAULT_TRUSTED_PROXIES)
const xff = { headers: ['X-Forwarded-For'], useLeftmostIP: false }

describe('normalizeIp', () => {
  it.each([
    ['::ffff:10.1.2.3', '10.1.2.3'], ['10.1.2.3:8080', '10.1.2.3'], ['[2001:DB8::1]:443', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'], ['fe80::1%eth0', 'fe80::1'], [' 1.2.3.4 ', '1.2.3.4'],
    ['not-an-ip', null], ['', null], ['1.2.3.4.5', null],
  ])('%s → %s', (raw, expected) => expect(normalizeIp(raw)).toBe(expected))
})

describe('clientIp', () => {
  it('L5: headers are ignored when no header is configured or the peer is not a trusted proxy', () => {
    expect(clientIp('203.0.113.9', { 'x-forwarded-for': '6.6.6.6' }, xff, loopback)).toBe('203.0.113.9')
    expect(clientIp('127.0.0.1', { 'x-forwarded-for': '6.6.6.6' }, { headers: [], useLeftmostIP: false }, loopback)).toBe('127.0.0.1')
  })

  it('L5: behind a trusted proxy the right-most untrusted hop wins; a spoofed left part is ignored', () => {
    expect(clientIp('127.0.0.1', { 'x-forwarded-for': '6.6.6.6, 198.51.100.7' }, xff, loopback)).toBe('198.51.100.7')
    // Duplicate header lines arrive joined by Node: still the right-most.
    expect(clientIp('127.0.0.1', { 'x-forwarded-for': '6.6.6.6, 198.51.100.7, 127.0.0.1' }, xff, loopback)).toBe('198.51.100.7')
    expect(clientIp('::ffff:127.0.0.1', { 'x-forwarded-for': '198.51.100.7' }, xff, loopback)).toBe('198.51.100.7')
  })

  it('walks past every trusted proxy in a CIDR chain; garbage stops the walk at the last trusted hop', () => {
    const chain = parseProxyList(['10.0.0.0/8', '127.0.0.1'])
    expect(clientIp('127.0.0.1', { 'x-forwarded-for': '198.51.100.7, 10.1.1.1, 10.2.2.2' }, xff, chain)).toBe('198.51.100.7')
    expect(clientIp('127.0.0.1', { 'x-forwarded-for': 'junk, 10.2.2.2' }, xff, chain)).toBe('10.2.2.2')
  })

  it('useLeftmostIP takes the first address (PocketBase semantics); the first configured header present wins', () => {
    expect(clientIp('127.0.0.1', { 'x-forwarded-for': '6.6.6.6, 198.51.100.7' }, { ...xff, useLeftmostIP: true }, loopback)).toBe('6.6.6.6')
    const both = { headers: ['X-Real-IP', 'X-Forwarded-For'], useLeftmostIP: false }
    expect(clientIp('127.0.0.1', { 'x-real-ip': '192.0.2.1', 'x-forwarded-for': '6.6.6.6' }, both, loopback)).toBe('192.0.2.1')
    expect(clientIp('127.0.0.1', { 'x-forwarded-for': '6.6.6.6' }, both, loopback)).toBe('6.6.6.6')
  })
})

describe('limiterIpKey and parseProxyList', () => {
  it('IPv6 clients are keyed by /64, IPv4 by address', () => {
    expect(limiterIpKey('2001:db8:1:2:aaaa::1')).toBe(limiterIpKey('2001:db8:1:2:bbbb::9'))
    expect(limiterIpKey('2001:db8:1:2::1')).not.toBe(limiterIpKey('2001:db8:1:3::1'))
    expect(limiterIpKey('1.2.3.4')).toBe('1.2.3.4')
  })

  it('rejects anything that is not an IP or CIDR', () => {
    for (const bad of ['example.com', '10.0.0.0/33', '1.2.3.4/8/1', '::1/129']) expect(() => parseProxyList([bad])).toThrow()
  })
})
