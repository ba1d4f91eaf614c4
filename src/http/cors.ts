// CORS: which browser origins may read API responses (`BASALT_CORS_ORIGINS`, `serve --origins`; PocketBase's --origins).

/** `['*']` (any origin; the default, as PocketBase) or exact origins such as `https://app.example.com`. */
export type CorsOrigins = readonly string[]

/** Parses a comma-separated list (throws a plain Error naming the bad entry); each entry is `*` or an origin (scheme://host[:port], nothing after it). */
export function parseCorsOrigins(raw: string): CorsOrigins {
  const list = raw.split(',').map((s) => s.trim()).filter(Boolean)
  if (!list.length) throw new Error(`must list at least one origin or *`)
  if (list.includes('*')) {
    if (list.length > 1) throw new Error(`* cannot be combined with other origins`)
    return ['*']
  }
  return list.map((entry) => {
    let url: URL
    try { url = new URL(entry) } catch { throw new Error(`${JSON.stringify(entry)} is not an origin (scheme://host[:port])`) }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== entry.replace(/\/$/, '').toLowerCase()) {
      throw new Error(`${JSON.stringify(entry)} is not an origin (http(s)://host[:port], no path)`)
    }
    return url.origin
  })
}

/**
 * The CORS response headers for a request from `origin`. With a list, an allowed origin is echoed and a
 * `Vary: Origin` keeps shared caches from serving one origin's answer to another; any other origin gets
 * no allow header, so the browser withholds the response from its script. Credentials are never
 * allowed cross-origin: API auth is a bearer token, and cookie sessions are same-origin by design.
 */
export function corsHeaders(allowed: CorsOrigins, origin: string | undefined): Record<string, string> {
  if (allowed[0] === '*') return { 'access-control-allow-origin': '*' }
  if (origin && allowed.includes(origin.toLowerCase())) return { 'access-control-allow-origin': origin, vary: 'Origin' }
  return { vary: 'Origin' }
}
