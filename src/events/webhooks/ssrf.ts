// SSRF guard for webhook targets: the address a request connects to is checked after DNS resolution
// (and that very address is used), so a hostname cannot resolve to a private address between check and use.
import dns from 'node:dns'
import net from 'node:net'
import type { LookupFunction } from 'node:net'

/** Loopback, private, link-local (cloud metadata), CGNAT, unspecified, multicast and reserved ranges. */
const BLOCKED = new net.BlockList()
for (const [addr, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) BLOCKED.addSubnet(addr, prefix, 'ipv4')
for (const [addr, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96]] as const) BLOCKED.addSubnet(addr, prefix, 'ipv6')

export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped) return BLOCKED.check(mapped[1], 'ipv4')
  return BLOCKED.check(address, net.isIPv6(address) ? 'ipv6' : 'ipv4')
}

export class BlockedAddressError extends Error {}

/** A `lookup` for http.request that refuses private addresses (unless allowed). */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0)
      const list = addresses as dns.LookupAddress[]
      const bad = list.find((a) => isPrivateAddress(a.address))
      if (bad && !allowPrivate) return callback(new BlockedAddressError(`Webhook target ${hostname} resolves to a private or loopback address (${bad.address}); set BASALT_WEBHOOKS_ALLOW_PRIVATE=true to allow it.`), '', 0)
      if ((options as dns.LookupOptions).all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list)
      callback(null, list[0].address, list[0].family)
    })
  }
}
