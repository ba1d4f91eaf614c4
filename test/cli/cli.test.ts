// The CLI as a user runs it: usage errors, superuser upsert, serve with graceful and hard stops.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { waitFor } from '../support/server.ts'

const BIN = path.resolve('bin/basalt.js')
const children: ChildProcess[] = []
const dirs: string[] = []

function tempDir() {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'basalt-cli-'))
  dirs.push(d)
  return d
}

function run(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000 })
}

async function serve(dir: string, port: number) {
  const child = spawn(process.execPath, [BIN, 'serve', `--http=127.0.0.1:${port}`, `--dir=${dir}`], {
    env: { ...process.env, BASALT_LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let output = ''
  child.stdout!.on('data', (d) => (output += d))
  child.stderr!.on('data', (d) => (output += d))
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/api/health`).catch(() => null))?.ok, 15_000, `server on ${port}: ${output}`)
  return { child, url: `http://127.0.0.1:${port}`, output: () => output }
}

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => {
  // A process killed by a signal has exitCode null and signalCode set: both mean "already gone".
  if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode)
  else child.once('exit', (code) => resolve(code))
})

async function login(url: string, email: string, password: string): Promise<string> {
  const res = await fetch(`${url}/api/collections/_superusers/auth-with-password`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ identity: email, password }),
  })
  expect(res.status).toBe(200)
  return (await res.json()).token
}

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL')
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true })
})

// Each test spawns real processes; on a loaded 2-core machine that takes seconds.
describe('basalt CLI', { timeout: 90_000 }, () => {
  it('prints help with exit 0 and rejects bad arguments with exit 2', () => {
    expect(run(['serve', '--help']).status).toBe(0)
    expect(run(['superuser', '--help']).stdout).toContain('superuser upsert EMAIL PASSWORD')
    const unknown = run(['frobnicate'])
    expect(unknown.status).toBe(2)
    expect(unknown.stderr).toContain('unknown command')
    expect(run(['serve', '--http=nonsense']).status).toBe(2)
    expect(run(['serve', '--bogus']).status).toBe(2)
    expect(run(['superuser', 'upsert', 'only-email@example.com']).status).toBe(2)
  })

  it('superuser upsert creates, then resets the password', async () => {
    const dir = tempDir()
    expect(run(['superuser', 'upsert', 'boss@example.com', 'first-password', `--dir=${dir}`]).stdout).toContain('created')
    expect(run(['superuser', 'upsert', 'boss@example.com', 'second-password', `--dir=${dir}`]).stdout).toContain('updated')
    const bad = run(['superuser', 'upsert', 'boss@example.com', 'short', `--dir=${dir}`])
    expect(bad.status).toBe(1)
    expect(bad.stderr).toMatch(/password/i)
    const { url } = await serve(dir, 18931)
    const res = await fetch(`${url}/api/collections/_superusers/auth-with-password`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ identity: 'boss@example.com', password: 'first-password' }),
    })
    expect(res.status).toBe(400)
    expect(await login(url, 'boss@example.com', 'second-password')).toMatch(/^eyJ/)
  })

  it('SIGTERM drains, exits 0 and leaves a clean database that serves the same data again', async () => {
    const dir = tempDir()
    run(['superuser', 'upsert', 'boss@example.com', 'boss-password', `--dir=${dir}`])
    const first = await serve(dir, 18932)
    const token = await login(first.url, 'boss@example.com', 'boss-password')
    const created = await fetch(`${first.url}/api/collections/users/records`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: token },
      body: JSON.stringify({ email: 'kept@example.com', password: 'kept-password', passwordConfirm: 'kept-password' }),
    })
    expect(created.status).toBe(200)
    const id = (await created.json()).id
    // A request in flight while the signal arrives still completes.
    const inFlight = fetch(`${first.url}/api/collections/users/records?perPage=1000`, { headers: { authorization: token } })
    first.child.kill('SIGTERM')
    expect((await inFlight).status).toBe(200)
    expect(await exited(first.child)).toBe(0)
    expect(fs.existsSync(path.join(dir, 'data.db-wal')) ? fs.statSync(path.join(dir, 'data.db-wal')).size : 0).toBe(0)
    const second = await serve(dir, 18933)
    const again = await fetch(`${second.url}/api/collections/users/records/${id}`, { headers: { authorization: await login(second.url, 'boss@example.com', 'boss-password') } })
    expect(again.status).toBe(200)
  })

  it('SIGKILL during a stream of writes loses no acknowledged write', async () => {
    const dir = tempDir()
    run(['superuser', 'upsert', 'boss@example.com', 'boss-password', `--dir=${dir}`])
    const first = await serve(dir, 18934)
    const token = await login(first.url, 'boss@example.com', 'boss-password')
    const res = await fetch(`${first.url}/api/collections`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: token },
      body: JSON.stringify({ name: 'notes', fields: [{ name: 'text', type: 'text' }] }),
    })
    expect(res.status).toBe(200)
    const acknowledged: string[] = []
    let stop = false
    const writer = (async () => {
      for (let i = 0; !stop; i++) {
        try {
          const r = await fetch(`${first.url}/api/collections/notes/records`, {
            method: 'POST', headers: { 'content-type': 'application/json', authorization: token }, body: JSON.stringify({ text: `n${i}` }),
            signal: AbortSignal.timeout(10_000),
          })
          if (r.status === 200) acknowledged.push((await r.json()).id)
        } catch { return }
      }
    })()
    await waitFor(() => acknowledged.length >= 30, 30_000, 'writes')
    first.child.kill('SIGKILL')
    stop = true
    await writer
    await exited(first.child)
    const second = await serve(dir, 18935)
    const t2 = await login(second.url, 'boss@example.com', 'boss-password')
    const list = await (await fetch(`${second.url}/api/collections/notes/records?perPage=1000`, { headers: { authorization: t2 } })).json()
    const stored = new Set(list.items.map((r: { id: string }) => r.id))
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([])
  })
})
