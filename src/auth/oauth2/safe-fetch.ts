// SSRF-safe avatar download: the avatar URL comes from provider user data (attacker-influenced), so
// only https to public addresses, the address checked at connect time (no DNS rebinding window), no
// redirects, a size cap and a 30 s deadline. Any failure yields null: an avatar never fails a login.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import https from 'node:https'
import net from 'node:net'

export const AVATAR_MAX_BYTES = 5 * 1024 * 1024
export const AVATAR_TIMEOUT_MS = 30_000

// Two lists: BlockList matches IPv4 against IPv6 rules through the mapped form (::ffff:a.b.c.d), which
// ::/8 below would then block for every IPv4 address.
const blocked4 = new net.BlockList()
const blocked6 = new net.BlockList()
for (const [prefix, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15],
  ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked4.addSubnet(prefix, bits, 'ipv4')
// ::/8 holds ::, ::1 and every IPv4-mapped/compatible form (::ffff:7f00:1); 64:ff9b::/96 (NAT64),
// 2002::/16 (6to4) and 2001::/32 (Teredo) embed IPv4 addresses too, so they are refused wholesale.
for (const [prefix, bits] of [
  ['::', 8], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 32], ['2001:db8::', 32],
  ['2002::', 16], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) blocked6.addSubnet(prefix, bits, 'ipv6')

/** True only for globally routable unicast addresses (loopback, private, link-local, metadata… are not). */
export function isPublicAddress(ip: string): boolean {
  const family = net.isIP(ip)
  if (family === 0) return false
  return family === 4 ? !blocked4.check(ip, 'ipv4') : !blocked6.check(ip, 'ipv6')
}

/** Static URL checks (before any DNS): https only, no credentials, an IP literal must be public. */
export function avatarUrlProblem(raw: string): string | null {
  let url: URL
  try { url = new URL(raw) } catch { return 'invalid URL' }
  if (url.protocol !== 'https:') return 'not https'
  if (url.username || url.password) return 'credentials in URL'
  const host = url.hostname.replace(/^\[|\]$/g, '')
  // WHATWG parsing already normalized 127.1 / 0x7f.1 / 2130706433 to dotted IPv4.
  if (net.isIP(host) && !isPublicAddress(host)) return 'non-public address'
  return null
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void

/** DNS lookup for the socket itself: every resolved address must be public, else the connect fails. */
function publicOnlyLookup(hostname: string, options: object, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, [])
    const list = addresses as LookupAddress[]
    if (!list.length || list.some((a) => !isPublicAddress(a.address))) {
      return callback(Object.assign(new Error(`refusing non-public address for ${hostname}`), { code: 'EBLOCKED' }), [])
    }
    if ((options as { all?: boolean }).all) return callback(null, list)
    callback(null, list[0].address, list[0].family)
  })
}

export interface DownloadedImage { data: Buffer; mimetype: string; filename: string }

const EXTENSIONS: Record<string, string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/gif': 'gif', 'image/webp': 'webp' }

/** Downloads an avatar image or returns null (blocked, not an image, too large, slow, any error). */
export function downloadAvatar(raw: string, opts: { maxBytes?: number; timeoutMs?: number } = {}): Promise<DownloadedImage | null> {
  if (avatarUrlProblem(raw)) return Promise.resolve(null)
  const maxBytes = opts.maxBytes ?? AVATAR_MAX_BYTES
  return new Promise((resolve) => {
    let done = false
    const finish = (v: DownloadedImage | null) => { if (!done) { done = true; clearTimeout(timer); resolve(v) } }
    const req = https.get(raw, { lookup: publicOnlyLookup as never, headers: { accept: 'image/*' }, agent: false }, (res) => {
      const type = String(res.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase()
      // Redirects are not followed: the target would escape the checks above. SVG is refused (scripts).
      if (res.statusCode !== 200 || !EXTENSIONS[type] || Number(res.headers['content-length'] ?? 0) > maxBytes) {
        res.destroy()
        return finish(null)
      }
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size > maxBytes) { res.destroy(); finish(null) } else chunks.push(chunk)
      })
      res.on('end', () => finish({ data: Buffer.concat(chunks), mimetype: type, filename: `avatar.${EXTENSIONS[type]}` }))
      res.on('error', () => finish(null))
    })
    const timer = setTimeout(() => { req.destroy(); finish(null) }, opts.timeoutMs ?? AVATAR_TIMEOUT_MS)
    req.on('error', () => finish(null))
  })
}
