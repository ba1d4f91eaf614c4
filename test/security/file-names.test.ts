// SECURITY.md H1/H3/H5 (+ D5/H11 access to protected files, H10 ranges): hostile upload names, active content, traversal on download.
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { allSecrets, dbRows, expectClientError, expectNoLeak, raw, setupWorld, type World } from './fixture.ts'

let w: World
let secrets: string[]
const posts = '/api/collections/posts/records'
const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.=+-]*$/

beforeAll(async () => {
  w = await setupWorld()
  secrets = await allSecrets(w)
})
afterAll(async () => { await w?.close() })

function walk(dir: string): string[] {
  if (!fs.existsSync(dir)) return []
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => d.isDirectory() ? walk(path.join(dir, d.name)) : [path.join(dir, d.name)])
}

async function upload(files: { name: string; content: string | Uint8Array; type?: string }[], token = w.a.token) {
  const fd = new FormData()
  fd.set('title', 'upload')
  fd.set('owner', w.a.id)
  for (const f of files) fd.append('doc', new Blob([f.content as BlobPart], { type: f.type ?? 'application/octet-stream' }), f.name)
  return raw(w, 'POST', posts, { token, rawBody: fd })
}

const fileUrl = (recordId: string, name: string) => `/api/files/posts/${recordId}/${encodeURIComponent(name)}`

describe('H1/H5 hostile upload names are replaced by safe generated names', () => {
  const hostile = [
    '../../etc/passwd', '..%2f..%2fx.png', 'a/b.png', 'C:\\x.png', '..\\..\\windows\\win.ini', 'x.png%00.html', 'x.png\u0000.html',
    'x'.repeat(200) + '.png', 'x.html.', 'x.HTML', 'x.svgz', 'x.php.png', 'x', 'x.png ', '.htaccess', '..', '.', '',
    '\u202Egnp.exe', 'x.png;.html', 'x".png', "x'.png", 'x\r\nContent-Type: text/html.png', 'CON', 'aux.png', '%2e%2e%2f', 'x.' + 'a'.repeat(100),
  ]
  it('every stored name is sanitized, unique-suffixed and lives inside the record directory', async () => {
    const dataDir = w.s.dir
    const beforeFiles = new Set(walk(dataDir))
    for (const name of hostile) {
      const res = await upload([{ name, content: 'hello ' + name }])
      if (res.status !== 200) { expectClientError(res, 400, secrets); continue }
      const stored: string[] = res.json.doc
      expect(stored, name).toHaveLength(1)
      const s = stored[0]
      expect(s, name).toMatch(SAFE_NAME)
      expect(s).not.toContain('..')
      expect(s.length).toBeLessThanOrEqual(150)
      expect(s).toMatch(/_[a-z0-9]{10}(\.[a-z0-9]+)?$/)
      // Served back under that exact name, to the owner.
      const got = await fetch(w.s.url + fileUrl(res.json.id, s), { headers: { authorization: w.a.token, connection: 'close' } })
      const body = await got.text()
      expect(got.status, `${name} → ${s}`).toBe(200)
      expect(body).toBe('hello ' + name)
    }
    // Nothing landed outside storage/<collectionId>/<recordId>/.
    const storage = path.join(dataDir, 'storage', w.posts.id)
    for (const f of walk(dataDir).filter((f) => !beforeFiles.has(f))) {
      if (f.startsWith(path.join(dataDir, 'data.db'))) continue
      expect(f.startsWith(storage + path.sep), f).toBe(true)
      expect(path.relative(storage, f).split(path.sep)).toHaveLength(2)
    }
    expect(fs.existsSync(path.join(dataDir, 'etc'))).toBe(false)
    expect(fs.existsSync(path.resolve(dataDir, '..', 'etc', 'passwd'))).toBe(fs.existsSync('/tmp/etc/passwd'))
  })
})

describe('H3 active content is served inert', () => {
  const active: [string, string][] = [
    ['x.svg', '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>'],
    ['x.html', '<script>alert(1)</script>'],
    ['x.xhtml', '<html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>'],
    ['x.xml', '<?xml version="1.0"?><x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(1)</x:script>'],
    ['x.js', 'alert(1)'],
    ['x', '<html><script>alert(1)</script></html>'],
    ['x.htm', '<script>alert(1)</script>'],
  ]
  it('svg/html/xhtml/xml/js → attachment + CSP sandbox + nosniff, also with download=0', async () => {
    for (const [name, content] of active) {
      const res = await upload([{ name, content, type: 'image/png' }])
      expect(res.status, res.text).toBe(200)
      const stored = res.json.doc[0]
      for (const query of ['', '?download=0', '?download=false', '?download=1']) {
        const got = await fetch(w.s.url + fileUrl(res.json.id, stored) + query, { headers: { authorization: w.a.token, connection: 'close' } })
        await got.arrayBuffer()
        expect(got.status).toBe(200)
        const ct = got.headers.get('content-type') ?? ''
        // Typed by the stored name's extension; a name without one may take the declared image type,
        // which nosniff + the sandbox CSP keep inert. Any other name must never be served as the lie.
        if (name !== 'x') expect(ct, `${name}${query}`).not.toMatch(/^(image\/png)/)
        expect(got.headers.get('x-content-type-options')).toBe('nosniff')
        const csp = got.headers.get('content-security-policy') ?? ''
        expect(csp).toContain("default-src 'none'")
        expect(csp).toContain('sandbox')
        if (!/^(text\/plain|application\/octet-stream|image\/(png|jpeg|gif|webp))/.test(ct)) {
          expect(got.headers.get('content-disposition'), `${name}${query} (${ct})`).toMatch(/^attachment/)
        }
      }
    }
  })
  it('a disguised PNG is served as what its name says, with the same guards', async () => {
    const res = await upload([{ name: 'pic.png', content: '<script>alert(1)</script>', type: 'text/html' }])
    const got = await fetch(w.s.url + fileUrl(res.json.id, res.json.doc[0]), { headers: { authorization: w.a.token, connection: 'close' } })
    await got.arrayBuffer()
    expect(got.headers.get('content-type')).not.toMatch(/html/)
    expect(got.headers.get('x-content-type-options')).toBe('nosniff')
    expect(got.headers.get('content-security-policy')).toContain('sandbox')
  })
})

describe('download path traversal and access control', () => {
  let recId: string
  let stored: string
  beforeAll(async () => {
    const res = await upload([{ name: 'note.txt', content: 'private note' }])
    recId = res.json.id
    stored = res.json.doc[0]
  })
  it('traversal-shaped paths → 404, never a file outside the record', async () => {
    const paths = [
      `/api/files/posts/${recId}/..%2F..%2F..%2Fdata.db`, `/api/files/posts/${recId}/%2e%2e%2f%2e%2e%2fdata.db`, `/api/files/posts/${recId}/..`,
      `/api/files/posts/..%2F..%2F/data.db`, `/api/files/posts/${recId}/${stored}%00.html`, `/api/files/posts/${recId}/${stored}/..`,
      `/api/files/posts/${recId}/${encodeURIComponent('../' + stored)}`, `/api/files/${w.posts.id}/${recId}/..%5C..%5Cdata.db`,
      `/api/files/posts/${w.postA1}/${stored}`, `/api/files/users/${w.a.id}/${stored}`, `/api/files/_superusers/${recId}/${stored}`,
      `/api/files/posts/${recId}/${stored.toUpperCase()}`,
    ]
    for (const p of paths) {
      const res = await raw(w, 'GET', p, { token: w.a.token })
      // A NUL in the path is refused before routing on both stores (ADR 0007); the rest is a plain 404.
      expect(res.status, p).toBe(p.includes('%00') ? 400 : 404)
      expect(res.text).not.toContain('SQLite format')
      expect(res.text).not.toContain('private note')
      expectNoLeak(res, secrets)
    }
  })
  it('D5: B and guests get 404 for A’s file, identical to a missing file', async () => {
    for (const token of [w.b.token, undefined, w.a.token.slice(0, -3) + 'xyz']) {
      const foreign = await raw(w, 'GET', fileUrl(recId, stored), { token })
      const missing = await raw(w, 'GET', fileUrl(recId, 'missing_abcdefghij.txt'), { token })
      expectClientError(foreign, 404, secrets)
      expect(foreign.json).toEqual(missing.json)
      expect(foreign.text).not.toContain('private note')
      const thumb = await raw(w, 'GET', fileUrl(recId, stored) + '?thumb=100x100', { token })
      expect(thumb.status).toBe(404)
    }
  })
  it('garbage Range headers never crash the download', async () => {
    for (const range of ['bytes=-1--1', 'bytes=99999999999999999999-', 'bytes=5-1', 'bytes=a-b', 'bytes=' + '0-1,'.repeat(2000), 'items=0-1', 'bytes=-0']) {
      const res = await raw(w, 'GET', fileUrl(recId, stored), { token: w.a.token, headers: { range } })
      expect([200, 206, 400, 416], `${range.slice(0, 30)}: ${res.status}`).toContain(res.status)
    }
    expect((await raw(w, 'GET', '/api/health')).status).toBe(200)
  })
  it('file names cannot be injected through the JSON body (only existing names are kept)', async () => {
    const res = await raw(w, 'PATCH', `${posts}/${recId}`, { token: w.a.token, body: { doc: [stored, '../../data.db', 'other_abcdefghij.txt'] } })
    expect(res.status, res.text).toBe(200)
    expect(res.json.doc).toEqual([stored])
    const row = (await dbRows<Record<string, any>>(w, 'posts')).find((r) => r.id === recId)!
    expect(JSON.stringify(row.doc)).not.toContain('data.db')
    const del = await raw(w, 'PATCH', `${posts}/${recId}`, { token: w.a.token, body: { 'doc-': ['../../../data.db', '*', '%'] } })
    expect(del.status).toBe(200)
    expect(del.json.doc).toEqual([stored])
    // The database and the file are intact.
    expect((await raw(w, 'GET', `${posts}/${recId}`, { token: w.a.token })).status).toBe(200)
    const got = await fetch(w.s.url + fileUrl(recId, stored), { headers: { authorization: w.a.token, connection: 'close' } })
    expect(await got.text()).toBe('private note')
  })
})
