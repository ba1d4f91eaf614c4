// kill -9 mid-dispatch: a `basalt serve` process delivering webhooks to a real receiver is SIGKILLed
// while records are being written and deliveries are in flight, then restarted on the same data
// directory. Every change answered 200 reaches the receiver at least once, always under the same
// event id (`webhook-id`): nothing committed is lost, a redelivery is recognisable as one.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import PocketBase from 'pocketbase'
import { afterEach, describe, expect, it } from 'vitest'
import { waitFor } from '../support/server.ts'
import { startHoldingReceiver } from '../support/webhook-receiver.ts'
import { freePort } from '../support/ports.ts'

const BIN = path.resolve('bin/basalt.js')
const children: ChildProcess[] = []
const dirs: string[] = []
const closers: (() => Promise<unknown>)[] = []
const cleanEnv = () => {
  const env = { ...process.env }
  for (const k of Object.keys(env)) if (k.startsWith('BASALT_') || ['DATABASE_URL', 'REDIS_URL'].includes(k)) delete env[k]
  return env
}

async function serve(dir: string, port: number) {
  const child = spawn(process.execPath, [BIN, 'serve', `--http=127.0.0.1:${port}`, `--dir=${dir}`], {
    // Short job leases so the restarted node takes over the killed node's in-flight deliveries quickly.
    env: { ...cleanEnv(), BASALT_LOG_LEVEL: 'warn', BASALT_WEBHOOKS_ALLOW_PRIVATE: 'true', BASALT_JOBS_LEASE_MS: '1500', BASALT_JOBS_POLL_MS: '100' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let output = ''
  child.stdout!.on('data', (d) => (output += d))
  child.stderr!.on('data', (d) => (output += d))
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/api/health`).catch(() => null))?.ok, 30_000, () => `server on ${port}: ${output}`)
  return child
}

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  for (const close of closers.splice(0)) await close()
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true })
})

describe('kill -9 mid-dispatch', { timeout: 180_000 }, () => {
  it('delivers every committed change at least once after a restart, always with the same event id', async () => {
    // The receiver records (subject, webhook-id) pairs. From the 40th request on it holds its answers until
    // the kill: those deliveries are in flight (received, never acknowledged) when the process dies.
    const rx = await startHoldingReceiver(40)
    closers.push(() => rx.close())
    const { got, acked, held, url: hookUrl } = rx

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basalt-kill9-'))
    dirs.push(dir)
    expect(spawnSync(process.execPath, [BIN, 'superuser', 'upsert', 'root@example.com', 'rootpassword123', `--dir=${dir}`], { env: cleanEnv(), encoding: 'utf8' }).status).toBe(0)
    const port = await freePort()
    const first = await serve(dir, port)
    const su = new PocketBase(`http://127.0.0.1:${port}`)
    su.autoCancellation(false)
    await su.collection('_superusers').authWithPassword('root@example.com', 'rootpassword123')
    await su.collections.create({ name: 'k9', type: 'base', fields: [{ name: 'n', type: 'number' }], createRule: '' })
    await su.collection('_webhooks').create({ url: hookUrl, collections: ['k9'], secret: `whsec_${randomBytes(24).toString('base64')}`, active: true })

    // Writers: 8 at a time, until the kill makes requests fail. Only creates answered 200 are known committed.
    const committed = new Set<string>()
    let stop = false
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/api/collections/k9/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n: w * 10_000 + i }) })
          if (res.status !== 200) { stop = true; break }
          committed.add(((await res.json()) as { id: string }).id)
        } catch { break }
      }
    }
    const writers = Array.from({ length: 8 }, (_, w) => writer(w))
    await waitFor(() => committed.size >= 150 && held.length >= 5, 60_000, () => `writes (${committed.size}) and held deliveries (${held.length}) under way`)
    first.kill('SIGKILL')
    await new Promise((r) => first.once('exit', r))
    stop = true
    await Promise.all(writers)
    // Mid-dispatch: deliveries were in flight and most committed changes not yet acknowledged by the receiver.
    expect(held.length).toBeGreaterThanOrEqual(5)
    expect(acked.size).toBeLessThan(committed.size)
    rx.release()

    // Restart on the same directory: the outbox cursor and the delivery jobs resume.
    await serve(dir, await freePort())
    await waitFor(() => {
      const delivered = new Set(got.map((g) => g.subject))
      return [...committed].every((id) => delivered.has(id))
    }, 90_000, () => `every committed change delivered (${new Set(got.map((g) => g.subject)).size} of ${committed.size})`)

    // Same event id on every delivery of a change, header and body alike.
    const idsBySubject = new Map<string, Set<string>>()
    for (const g of got) {
      expect(g.webhookId).toBe(g.bodyId)
      let ids = idsBySubject.get(g.subject)
      if (!ids) idsBySubject.set(g.subject, (ids = new Set()))
      ids.add(g.webhookId)
    }
    for (const id of committed) expect(idsBySubject.get(id)!.size, `event ids of ${id}`).toBe(1)
  })
})
