// Restore end to end through `basalt serve`: the restore is staged, the server restarts in-process and serves the restored data.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import PocketBase from 'pocketbase'
import { afterAll, describe, expect, it } from 'vitest'
import { waitFor } from '../support/server.ts'

const BIN = path.resolve('bin/basalt.js')
const PORT = 18977
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basalt-restore-'))
let child: ChildProcess | null = null

afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL')
  fs.rmSync(dir, { recursive: true, force: true })
})

describe('restore through basalt serve', { timeout: 90_000 }, () => {
  it('swaps the backup in on restart and keeps serving on the same port', async () => {
    expect(spawnSync(process.execPath, [BIN, 'superuser', 'upsert', 'root@example.com', 'rootpassword123', `--dir=${dir}`]).status).toBe(0)
    child = spawn(process.execPath, [BIN, 'serve', `--http=127.0.0.1:${PORT}`, `--dir=${dir}`], { env: { ...process.env, BASALT_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout!.on('data', (d) => (output += d))
    child.stderr!.on('data', (d) => (output += d))
    const url = `http://127.0.0.1:${PORT}`
    await waitFor(async () => (await fetch(`${url}/api/health`).catch(() => null))?.ok, 20_000, `server: ${output}`)
    const su = new PocketBase(url)
    su.autoCancellation(false)
    await su.collection('_superusers').authWithPassword('root@example.com', 'rootpassword123')
    await su.collections.create({ name: 'items', listRule: '', createRule: '', fields: [{ name: 'label', type: 'text' }] })
    await su.collection('items').create({ label: 'kept' })
    await su.backups.create('snapshot.zip')
    await su.collection('items').create({ label: 'after the backup' })
    await su.collections.create({ name: 'later', fields: [] })
    expect(await su.backups.restore('snapshot.zip')).toBe(true)
    // The restarted server answers with the backup's data (same superuser, so the token still works).
    const labels = await waitFor(async () => {
      try { return (await su.collection('items').getFullList()).map((r) => r.label).join(',') === 'kept' } catch { return false }
    }, 30_000, `restored data: ${output}`)
    expect(labels).toBe(true)
    expect(output).toContain('restarted with the restored data')
    await expect(su.collections.getOne('later')).rejects.toMatchObject({ status: 404 })
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([])
    expect(await su.backups.getFullList()).toEqual([expect.objectContaining({ key: 'snapshot.zip' })])
    child.kill('SIGTERM')
    await new Promise((r) => child!.once('exit', r))
  })
})
