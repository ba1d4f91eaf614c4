// The first hour as a new user lives it: --version, superuser list/delete, the start line, mails on stdout, clear start-up errors.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { waitFor } from '../support/server.ts'

const BIN = path.resolve('bin/basalt.js')
const VERSION = JSON.parse(fs.readFileSync('package.json', 'utf8')).version
const children: ChildProcess[] = []
const dirs: string[] = []
// Without these a developer's environment could point the CLI at another store or URL.
const cleanEnv = () => {
  const env = { ...process.env }
  for (const k of ['DATABASE_URL', 'REDIS_URL', 'BASALT_APP_URL', 'BASALT_DIR', 'BASALT_HTTP', 'BASALT_SMTP_HOST']) delete env[k]
  return env
}

function tempDir() {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'basalt-first-'))
  dirs.push(d)
  return d
}

function run(args: string[], env: NodeJS.ProcessEnv = cleanEnv()) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000, env })
}

async function serve(dir: string, port: number) {
  const child = spawn(process.execPath, [BIN, 'serve', `--http=127.0.0.1:${port}`, `--dir=${dir}`], {
    env: { ...cleanEnv(), BASALT_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let output = ''
  child.stdout!.on('data', (d) => (output += d))
  child.stderr!.on('data', (d) => (output += d))
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/api/health`).catch(() => null))?.ok, 20_000, `server on ${port}: ${output}`)
  return { url: `http://127.0.0.1:${port}`, output: () => output }
}

async function api(url: string, method: string, p: string, body?: unknown, token?: string) {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (token) headers.authorization = token
  const res = await fetch(url + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  return { status: res.status, json: await res.json().catch(() => undefined) as any }
}

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL')
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true })
})

describe('first hour on the command line', { timeout: 120_000 }, () => {
  it('basalt --version prints the package version', () => {
    const r = run(['--version'])
    expect(r.status).toBe(0)
    expect(r.stdout.trim()).toBe(`basalt ${VERSION}`)
  })

  it('superuser list and delete (never the last one)', () => {
    const dir = tempDir()
    expect(run(['superuser', 'list', `--dir=${dir}`]).stdout).toContain('No superusers')
    expect(run(['superuser', 'upsert', 'one@example.com', 'password-one-1', `--dir=${dir}`]).status).toBe(0)
    expect(run(['superuser', 'upsert', 'two@example.com', 'password-two-2', `--dir=${dir}`]).status).toBe(0)
    const listed = run(['superuser', 'list', `--dir=${dir}`]).stdout
    expect(listed).toMatch(/^one@example\.com\t\w{15}\t/m)
    expect(listed).toMatch(/^two@example\.com\t/m)
    const del = run(['superuser', 'delete', 'ONE@example.com', `--dir=${dir}`])
    expect(del.status, del.stderr).toBe(0)
    expect(run(['superuser', 'list', `--dir=${dir}`]).stdout).not.toContain('one@example.com')
    const last = run(['superuser', 'delete', 'two@example.com', `--dir=${dir}`])
    expect(last.status).toBe(1)
    expect(last.stderr).toContain('only superuser')
    expect(run(['superuser', 'delete', 'nobody@example.com', `--dir=${dir}`]).status).toBe(1)
    expect(run(['superuser', 'delete', `--dir=${dir}`]).status).toBe(2)
  })

  it('serve prints one start line, and mails on stdout carry the served port and the OTP code', async () => {
    const dir = tempDir()
    const port = 18961
    const s = await serve(dir, port)
    await waitFor(() => s.output().includes('serving'), 10_000, 'start line')
    const start = s.output().split('\n').find((l) => l.includes('serving'))!
    expect(start).toContain(`serving http://127.0.0.1:${port}`)
    expect(start).toContain(`store: SQLite ${path.join(dir, 'data.db')}`)
    expect(start).toContain('Redis: off')
    expect(start).toContain('no superuser yet')
    expect(start).toContain('superuser upsert EMAIL PASSWORD')
    expect(start).toMatch(new RegExp(`open http://127\\.0\\.0\\.1:${port}/_/#/pbinstal/pbinstal_[\\w-]{43} \\(one use, 30 min\\)`))
    // Not a TTY: the one format is JSON lines (pino), never JSON mixed with plain text.
    for (const line of s.output().trim().split('\n')) expect(() => JSON.parse(line), line).not.toThrow()

    expect(run(['superuser', 'upsert', 'root@example.com', 'root-password-1', `--dir=${dir}`]).status).toBe(0)
    const login = await api(s.url, 'POST', '/api/collections/_superusers/auth-with-password', { identity: 'root@example.com', password: 'root-password-1' })
    expect(login.status).toBe(200)
    expect((await api(s.url, 'PATCH', '/api/collections/users', { otp: { enabled: true } }, login.json.token)).status).toBe(200)
    const email = 'dev@example.com'
    expect((await api(s.url, 'POST', '/api/collections/users/records', { email, password: 'dev-password-1', passwordConfirm: 'dev-password-1' })).status).toBe(200)

    // Password reset link: the port really served (no BASALT_APP_URL), not the default 8090.
    expect((await api(s.url, 'POST', '/api/collections/users/request-password-reset', { email })).status).toBe(204)
    await waitFor(() => s.output().includes('confirm-password-reset/'), 10_000, 'reset mail')
    expect(s.output()).toContain(`http://127.0.0.1:${port}/_/#/auth/confirm-password-reset/`)

    // OTP: the printed mail is enough to finish the login.
    const otp = await api(s.url, 'POST', '/api/collections/users/request-otp', { email })
    expect(otp.status).toBe(200)
    await waitFor(() => /one-time password is: (\d+)/.test(s.output()), 10_000, 'otp mail')
    const code = /one-time password is: (\d+)/.exec(s.output())![1]
    const done = await api(s.url, 'POST', '/api/collections/users/auth-with-otp', { otpId: otp.json.otpId, password: code })
    expect(done.status, JSON.stringify(done.json)).toBe(200)
    expect(done.json.record.email).toBe(email)
  })

  it('an unreachable PostgreSQL is named with host and port, after a bounded retry', () => {
    const started = Date.now()
    const r = run(['serve', `--dir=${tempDir()}`, '--http=127.0.0.1:0'], { ...cleanEnv(), DATABASE_URL: 'postgres://postgres@127.0.0.1:1/appdb', BASALT_PG_START_TIMEOUT: '2' })
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('cannot reach PostgreSQL at 127.0.0.1:1 (database appdb)')
    expect(r.stderr).toContain('BASALT_PG_START_TIMEOUT')
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000)
  })

  it('an unusable data directory is named with the permission it needs', () => {
    const file = path.join(tempDir(), 'not-a-dir')
    fs.writeFileSync(file, '')
    const dir = path.join(file, 'data')
    const r = run(['serve', `--dir=${dir}`, '--http=127.0.0.1:0'])
    expect(r.status).toBe(1)
    expect(r.stderr).toContain(`the data directory ${dir} is not usable`)
    expect(r.stderr).toMatch(/rwx/)
  })
})
