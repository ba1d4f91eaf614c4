// SIGTERM drain from outside: requests already sent when `basalt serve` gets SIGTERM — on kept-alive and
// on new connections — all get an answer (200, or 503 + Connection: close), none is reset, and every
// create answered 200 is in the database after a restart.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { waitFor } from '../support/server.ts'
import { freePort } from '../support/ports.ts'

const BIN = path.resolve('bin/basalt.js')
const children: ChildProcess[] = []
const dirs: string[] = []
const cleanEnv = () => {
  const env = { ...process.env }
  for (const k of ['DATABASE_URL', 'REDIS_URL', 'BASALT_APP_URL', 'BASALT_DIR', 'BASALT_HTTP', 'BASALT_SMTP_HOST']) delete env[k]
  return env
}

async function serve(dir: string, port: number) {
  const child = spawn(process.execPath, [BIN, 'serve', `--http=127.0.0.1:${port}`, `--dir=${dir}`], {
    env: { ...cleanEnv(), BASALT_LOG_LEVEL: 'warn', BASALT_SHUTDOWN_ACCEPT_MS: '1000' }, stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let output = ''
  child.stdout!.on('data', (d) => (output += d))
  child.stderr!.on('data', (d) => (output += d))
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/api/health`).catch(() => null))?.ok, 20_000, () => `server on ${port}: ${output}`)
  return child
}

interface Outcome { status?: number; connection?: string; error?: string; email: string }

/** A sign-up on a kept-alive connection (`agent`) or on a connection of its own (`agent: false`). */
function signUp(port: number, email: string, agent: http.Agent | false): Promise<Outcome> {
  const body = JSON.stringify({ email, password: 'password-123', passwordConfirm: 'password-123' })
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/api/collections/users/records', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode, connection: res.headers.connection, email }))
    })
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message, email }))
    req.end(body)
  })
}

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL')
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true })
})

describe('SIGTERM drain', { timeout: 120_000 }, () => {
  it('answers every request already sent (200 or 503 with Connection: close), resets none, and keeps every 200', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basalt-drain-'))
    dirs.push(dir)
    expect(spawnSync(process.execPath, [BIN, 'superuser', 'upsert', 'root@example.com', 'rootpassword123', `--dir=${dir}`], { env: cleanEnv(), encoding: 'utf8' }).status).toBe(0)
    const port = await freePort()
    const child = await serve(dir, port)
    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 10 })
    // Warm the kept-alive connections so some requests below reuse them.
    await Promise.all(Array.from({ length: 10 }, () => fetch(`http://127.0.0.1:${port}/api/health`)))
    const stamp = Date.now().toString(36)
    const pending = Array.from({ length: 50 }, (_, i) => signUp(port, `drain${i}_${stamp}@example.com`, i % 2 ? keepAlive : false))
    await new Promise((r) => setTimeout(r, 30))
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
    child.kill('SIGTERM')
    // Requests sent during the accept window are answered 503 (the load balancer's retry goes elsewhere).
    await new Promise((r) => setTimeout(r, 200))
    const late = await signUp(port, `late_${stamp}@example.com`, false)
    const outcomes = await Promise.all(pending)
    keepAlive.destroy()
    expect(await exited).toBe(0)

    expect(outcomes.filter((o) => o.error)).toEqual([])
    for (const o of outcomes) expect([200, 503]).toContain(o.status)
    expect(late).toMatchObject({ status: 503, connection: 'close' })
    const created = outcomes.filter((o) => o.status === 200).map((o) => o.email)
    expect(created.length).toBeGreaterThan(0)

    // Every 200 is durable.
    await serve(dir, port)
    const auth = await (await fetch(`http://127.0.0.1:${port}/api/collections/_superusers/auth-with-password`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ identity: 'root@example.com', password: 'rootpassword123' }) })).json() as { token: string }
    const list = await (await fetch(`http://127.0.0.1:${port}/api/collections/users/records?perPage=500&filter=${encodeURIComponent(`email ~ "${stamp}"`)}`, { headers: { authorization: auth.token } })).json() as { items: { email: string }[] }
    const stored = new Set(list.items.map((u) => u.email))
    for (const email of created) expect(stored.has(email), email).toBe(true)
  })
})
