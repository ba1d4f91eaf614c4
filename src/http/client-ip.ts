// The client IP: the socket peer, or — only behind a trusted proxy — the right-most untrusted forwarded hop.
import net from 'node:net'
import type { IncomingHttpHeaders } from 'node:http'

/** Used when `trustedProxy.headers` is set but no proxy list is configured: a proxy on the same host. */
export const DEFAULT_TRUSTED_PROXIES = ['127.0.0.0/8', '::1/128']

export interface TrustedProxySettings { headers: string[]; useLeftmostIP: boolean }

/**
 * Canonical text of an address, or null: strips `[…]`, a `:port` on IPv4/bracketed IPv6, a `%zone`, and
 * turns IPv4-mapped IPv6 (`::ffff:1.2.3.4`) into IPv4 so one client never has two spellings (two counters).
 */
export function normalizeIp(raw: string | undefined | null): string | null {
  if (!raw) return null
  let v = raw.trim()
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(v)
  if (bracketed) v = bracketed[1]
  else if (/^\d{1,3}(\.\d{1,3}){3}:\d+$/.test(v)) v = v.slice(0, v.lastIndexOf(':'))
  v = v.replace(/%.*$/, '').toLowerCase()
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(v)
  if (mapped) v = mapped[1]
  const family = net.isIP(v)
  if (family === 0) return null
  return family === 6 ? expandIpv6(v).map((g) => g.replace(/^0+(?=.)/, '')).join(':').replace(/(^|:)0(:0)+(:|$)/, '::') : v
}

/** Eight 4-digit groups (handles `::` and an embedded IPv4 tail). */
function expandIpv6(ip: string): string[] {
  let text = ip
  const v4 = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text)
  if (v4) {
    const [a, b, c, d] = v4[1].split('.').map(Number)
    text = text.slice(0, v4.index) + ((a << 8) | b).toString(16) + ':' + ((c << 8) | d).toString(16)
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined]
  const h = head ? head.split(':') : []
  const t = tail ? tail.split(':') : []
  const fill = tail === undefined ? [] : Array(8 - h.length - t.length).fill('0')
  return [...h, ...fill, ...t].map((g) => g.padStart(4, '0'))
}

/**
 * The address rate limits are keyed by: IPv4 as is, IPv6 by its /64 — one subscriber usually gets a
 * whole /64, so per-address counters would let a single attacker rotate through 2^64 fresh buckets.
 */
export function limiterIpKey(ip: string): string {
  return net.isIP(ip) === 6 ? `${expandIpv6(ip).slice(0, 4).join(':')}::/64` : ip
}

/** Parses `BASALT_TRUSTED_PROXIES` entries (IPs or CIDRs); throws on anything else. */
export function parseProxyList(entries: readonly string[]): net.BlockList {
  const list = new net.BlockList()
  for (const raw of entries) {
    const [addr, bits, extra] = raw.trim().split('/')
    const ip = normalizeIp(addr)
    const type = ip && net.isIP(ip) === 6 ? 'ipv6' : 'ipv4'
    if (!ip || extra !== undefined || (bits !== undefined && !/^\d{1,3}$/.test(bits)) || Number(bits) > (type === 'ipv6' ? 128 : 32)) {
      throw new Error(`not an IP address or CIDR: ${JSON.stringify(raw)}`)
    }
    if (bits === undefined) list.addAddress(ip, type)
    else list.addSubnet(ip, Number(bits), type)
  }
  return list
}

export function inList(list: net.BlockList, ip: string): boolean {
  return list.check(ip, net.isIP(ip) === 6 ? 'ipv6' : 'ipv4')
}

/** Every value of a header, in order: repeated header lines (joined by Node with ", ") and comma lists alike. */
function hops(headers: IncomingHttpHeaders, name: string): string[] {
  const v = headers[name.toLowerCase()]
  if (v === undefined) return []
  return (Array.isArray(v) ? v.join(',') : v).split(',').map((s) => s.trim()).filter(Boolean)
}

/**
 * PocketBase's `RealIP` with a stricter default. Headers are read only when the settings name some AND
 * the socket peer is a trusted proxy — otherwise any client could pick its own IP (SECURITY.md L5,
 * ASVS 4.1.3). The first configured header present wins. Default: walk its hops right to left, skip
 * trusted proxies, take the first other address (the one our own proxy saw). `useLeftmostIP` takes the
 * left-most address instead — client-controlled, only for proxies that overwrite the header.
 */
export function clientIp(peerRaw: string | undefined, headers: IncomingHttpHeaders, settings: TrustedProxySettings, proxies: net.BlockList): string {
  const peer = normalizeIp(peerRaw) ?? peerRaw ?? ''
  if (!settings.headers.length || !peer || !inList(proxies, peer)) return peer
  for (const name of settings.headers) {
    const list = hops(headers, name)
    if (!list.length) continue
    if (settings.useLeftmostIP) {
      for (const h of list) { const ip = normalizeIp(h); if (ip) return ip }
      return peer
    }
    let last = peer
    for (let i = list.length - 1; i >= 0; i--) {
      const ip = normalizeIp(list[i])
      // Garbage can only come from the client or a broken proxy: trust nothing beyond it.
      if (!ip) return last
      if (!inList(proxies, ip)) return ip
      last = ip
    }
    return last
  }
  return peer
}
