// Issue 7: eight concurrent 31 MB guest uploads to a locked collection took a server from 230 to 590 MB.
// Measured on a real `basalt serve` child process (its RSS from /proc), on SQLite or PostgreSQL.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, SUPERUSER, TEST_STORE, waitFor } from '../support/server.ts'
import { connectRaw, statuses } from '../support/raw-http.ts'

const BIN = path.resolve('bin/basalt.js')
const UPLOAD = 31 * 1024 * 1024
const canMeasure = fs.existsSync('/proc/self/status')
if (!canMeasure) console.warn('SKIP upload-memory: no /proc to read the server RSS from')

let child: ChildProcess | undefined
let dir = ''
let url = ''
let database: Awaited<ReturnType<typeof createTestDatabase>> | null = null

const freePort = () => new Promise<number>((resolve) => {
  const srv = net.createServer().listen(0, '127.0.0.1', () => {
    const port = (srv.address() as net.AddressInfo).port
    srv.close(() => resolve(port))
  })
})

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Number(m![1]) * 1024
}

/** Sends a whole multipart upload of `UPLOAD` bytes (as fast as the server takes it) and returns the status answered. */
async function upload(collection: string): Promise<number> {
  const c = await connectRaw(url)
  c.socket.on('error', () => {}) // the server may close while we still send: that is the point
  const boundary = 'b0undary'
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="doc"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`
  const tail = `\r\n--${boundary}--\r\n`
  c.socket.write(`POST /api/collections/${collection}/records HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${head.length + UPLOAD + tail.length}\r\n\r\n${head}`)
  const chunk = Buffer.alloc(1024 * 1024, 0x61)
  let closed = false
  void c.closed.then(() => { closed = true })
  for (let sent = 0; sent < UPLOAD && !closed && !c.socket.destroyed; sent += chunk.length) {
    if (!c.socket.write(chunk)) await new Promise<void>((r) => { c.socket.once('drain', r); c.socket.once('close', r) })
  }
  if (!closed && !c.socket.destroyed) c.socket.write(tail)
  const text = await c.until(/HTTP\/1\.1 \d{3}/, 20_000).catch(() => c.text())
  c.socket.destroy()
  return statuses(text)[0] ?? 0
}

beforeAll(async () => {
  if (!canMeasure) return
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basalt-upload-mem-'))
  database = TEST_STORE === 'postgres' ? await createTestDatabase() : null
  const env = { ...process.env, BASALT_LOG_LEVEL: 'silent', ...(database ? { DATABASE_URL: database.url } : {}) }
  const made = spawnSync(process.execPath, [BIN, 'superuser', 'upsert', SUPERUSER.email, SUPERUSER.password, `--dir=${dir}`], { env, encoding: 'utf8', timeout: 30_000 })
  expect(made.status, made.stderr).toBe(0)
  const port = await freePort()
  url = `http://127.0.0.1:${port}`
  child = spawn(process.execPath, [BIN, 'serve', `--http=127.0.0.1:${port}`, `--dir=${dir}`], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout!.on('data', (d) => (output += d))
  child.stderr!.on('data', (d) => (output += d))
  await waitFor(async () => (await fetch(`${url}/api/health`).catch(() => null))?.ok, 20_000, `server: ${output}`)
  const auth = await (await fetch(`${url}/api/collections/_superusers/auth-with-password`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ identity: SUPERUSER.email, password: SUPERUSER.password }),
  })).json()
  const res = await fetch(`${url}/api/collections`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: auth.token },
    body: JSON.stringify({ name: 'locked', type: 'base', createRule: null, fields: [{ name: 'doc', type: 'file', maxSelect: 1, maxSize: 64 * 1024 * 1024 }] }),
  })
  expect(res.status).toBe(200)
  const open = await fetch(`${url}/api/collections`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: auth.token },
    body: JSON.stringify({ name: 'open', type: 'base', createRule: '', fields: [{ name: 'doc', type: 'file', maxSelect: 1, maxSize: 64 * 1024 * 1024 }] }),
  })
  expect(open.status).toBe(200)
}, 60_000)

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGKILL')
    await new Promise((r) => child!.once('exit', r))
  }
  await database?.drop()
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

describe.skipIf(!canMeasure)('guest uploads to a locked collection', () => {
  it('eight concurrent 31 MB uploads are all refused (403) and the server RSS grows < 100 MB', async () => {
    // Warm-up: the first requests load code paths whose memory is not what is measured here.
    expect(await upload('locked')).toBe(403)
    const before = rssBytes(child!.pid!)
    const answers = await Promise.all(Array.from({ length: 8 }, () => upload('locked')))
    const after = rssBytes(child!.pid!)
    expect(answers).toEqual(Array(8).fill(403))
    expect(after - before, `RSS ${Math.round(before / 2 ** 20)} MB → ${Math.round(after / 2 ** 20)} MB`).toBeLessThan(100 * 2 ** 20)
    expect((await fetch(`${url}/api/health`)).status).toBe(200)
  }, 90_000)

  it('eight concurrent 31 MB uploads that are accepted stream to disk: all stored, RSS grows < 100 MB, no temp file left', async () => {
    expect(await upload('open')).toBe(200)
    const before = rssBytes(child!.pid!)
    const answers = await Promise.all(Array.from({ length: 8 }, () => upload('open')))
    const after = rssBytes(child!.pid!)
    expect(answers).toEqual(Array(8).fill(200))
    expect(after - before, `RSS ${Math.round(before / 2 ** 20)} MB → ${Math.round(after / 2 ** 20)} MB`).toBeLessThan(100 * 2 ** 20)
    expect(fs.readdirSync(path.join(dir, '.tmp_uploads'))).toEqual([])
  }, 120_000)
})
