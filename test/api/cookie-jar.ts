// A minimal cookie jar for fetch-based tests: stores Set-Cookie (name + path), honours Max-Age=0 and
// path scoping, keeps the raw attributes so tests can assert them. Not a browser: no domain/expiry logic.
export interface StoredCookie { name: string; value: string; path: string; attrs: string[]; raw: string }

export class CookieJar {
  readonly cookies = new Map<string, StoredCookie>()

  /** Records every Set-Cookie of a response; returns them (parsed) for attribute assertions. */
  store(res: Response): StoredCookie[] {
    const out: StoredCookie[] = []
    for (const raw of res.headers.getSetCookie()) {
      const [pair, ...rest] = raw.split(';').map((p) => p.trim())
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq), value = pair.slice(eq + 1)
      const path = rest.find((a) => /^path=/i.test(a))?.slice(5) ?? '/'
      const cookie = { name, value, path, attrs: rest, raw }
      out.push(cookie)
      const key = `${name}@${path}`
      if (rest.some((a) => /^max-age=0$/i.test(a))) this.cookies.delete(key)
      else this.cookies.set(key, cookie)
    }
    return out
  }

  get(name: string): string | undefined {
    return [...this.cookies.values()].find((c) => c.name === name)?.value
  }

  set(name: string, value: string, path = '/') {
    this.cookies.set(`${name}@${path}`, { name, value, path, attrs: [], raw: '' })
  }

  /** The Cookie header a browser would send to `path` (RFC 6265 path-match; longer paths first). */
  header(path: string): string {
    const matches = [...this.cookies.values()].filter((c) => path === c.path || path.startsWith(c.path.endsWith('/') ? c.path : c.path + '/'))
    return matches.sort((a, b) => b.path.length - a.path.length).map((c) => `${c.name}=${c.value}`).join('; ')
  }

  clone(): CookieJar {
    const j = new CookieJar()
    for (const [k, v] of this.cookies) j.cookies.set(k, { ...v })
    return j
  }
}
