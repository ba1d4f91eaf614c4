// Disk full: a real full file system (a small tmpfs holding the data directory, filled up) — writes answer
// 507 with a clear message and change nothing, /api/health turns 503 "cannot write", and both recover
// once space is back. Needs root to mount a tmpfs; skipped with a message otherwise.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, TEST_STORE, type TestServer } from '../support/server.ts'

function mountTmpfs(sizeMb: number): string | null {
  if (process.getuid?.() !== 0) return null
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basalt-full-'))
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir], { encoding: 'utf8' })
  if (r.status !== 0) { fs.rmdirSync(dir); return null }
  return dir
}

const mountPoint = mountTmpfs(48)
if (!mountPoint) console.warn('SKIP disk-full: cannot mount a tmpfs here (needs root and mount permission)')

/** Writes until the file system refuses (ENOSPC); returns the filler's path. */
function fillDisk(dir: string): string {
  const filler = path.join(dir, 'filler.bin')
  const fd = fs.openSync(filler, 'w')
  const chunk = Buffer.alloc(256 * 1024, 1)
  try {
    for (;;) fs.writeSync(fd, chunk)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err
    // fill the last partial block too
    for (let size = 128 * 1024; size >= 512; size /= 2) {
      try { for (;;) fs.writeSync(fd, chunk, 0, size) } catch { /* next smaller size */ }
    }
  } finally {
    fs.closeSync(fd)
  }
  return filler
}

describe.skipIf(!mountPoint)('disk full', () => {
  let s: TestServer
  let token: string

  beforeAll(async () => {
    s = await startServer({ dataDir: path.join(mountPoint!, 'data') })
    const su = await s.superuser()
    token = su.authStore.token
    await su.collections.create({
      name: 'notes', type: 'base', createRule: '', listRule: '', fields: [
        { name: 'body', type: 'editor', maxSize: 2_000_000 },
        { name: 'attachment', type: 'file', maxSelect: 1, maxSize: 5_000_000 },
      ],
    })
  })

  afterAll(async () => {
    if (mountPoint) fs.rmSync(path.join(mountPoint, 'filler.bin'), { force: true })
    await s?.close()
    if (mountPoint) { spawnSync('umount', [mountPoint]); fs.rmSync(mountPoint, { recursive: true, force: true }) }
  })

  const health = async () => {
    const res = await fetch(`${s.url}/api/health`)
    return { status: res.status, body: await res.json() as { code: number; message: string; data: Record<string, unknown> } }
  }
  const count = async () => (await s.client().collection('notes').getList(1, 1)).totalItems

  it('writes answer 507 and change nothing; health says it cannot write; both recover when space is back', async () => {
    expect((await health()).status).toBe(200)
    const filler = fillDisk(mountPoint!)
    const before = await count()

    // Records (SQLite: the database file is on the full disk). The WAL may still have room for a
    // little, so write ~1.4 MB bodies until the engine needs a block it cannot get.
    const statuses: number[] = []
    let refused: { status: number; headers: Headers; body: { status: number; message: string; data: object } } | null = null
    if (TEST_STORE === 'sqlite') {
      for (let i = 0; i < 20 && !refused; i++) {
        const res = await fetch(`${s.url}/api/collections/notes/records`, {
          method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ body: `<p>${'x'.repeat(1_400_000)}</p>` }),
        })
        statuses.push(res.status)
        if (res.status !== 200) refused = { status: res.status, headers: res.headers, body: await res.json() }
        else await res.body?.cancel()
      }
      expect(statuses.slice(0, -1).every((st) => st === 200)).toBe(true)
      expect(refused?.status).toBe(507)
      expect(refused!.body.message).toMatch(/cannot store data right now \(the disk is full\)/)
      expect(refused!.body.data).toEqual({})
      expect(refused!.headers.get('retry-after')).toBe('30')
      // Nothing half-applied: exactly the accepted creates are there, and reads still work.
      expect(await count()).toBe(before + statuses.length - 1)
    }

    // An upload spools to the data directory: the full disk refuses it the same way, on either store.
    const form = new FormData()
    form.append('attachment', new Blob([Buffer.alloc(3_000_000, 7)], { type: 'application/octet-stream' }), 'big.bin')
    const upload = await fetch(`${s.url}/api/collections/notes/records`, { method: 'POST', body: form })
    expect(upload.status).toBe(507)
    expect((await upload.json()).message).toMatch(/cannot store data right now/)
    const afterFailures = await count()
    expect(afterFailures).toBe(TEST_STORE === 'sqlite' ? before + statuses.length - 1 : before)

    const sick = await health()
    expect(sick.status).toBe(503)
    expect(sick.body.message).toMatch(/cannot be written/)
    expect(sick.body.data).toEqual({ canWrite: false })

    fs.rmSync(filler)
    const ok = await s.client().collection('notes').create({ body: '<p>space again</p>' })
    expect(ok.id).toEqual(expect.any(String))
    const healed = await fetch(`${s.url}/api/health`, { headers: { authorization: token } })
    expect(healed.status).toBe(200)
    expect((await healed.json()).data.canWrite).toBe(true)
  })
})
