import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { SqliteStore } from './sqlite-store.ts'

const dirs: string[] = []
afterEach(() => { for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true }) })

describe('SqliteStore writer queue (GET /api/metrics basalt_db_waiting)', () => {
  it('counts transactions waiting for the one writer connection', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basalt-sqlite-'))
    dirs.push(dir)
    const store = new SqliteStore({ file: path.join(dir, 'data.db') })
    let release!: () => void
    const held = new Promise<void>((r) => (release = r))
    let entered!: () => void
    const inside = new Promise<void>((r) => (entered = r))
    const first = store.transaction(async () => { entered(); await held })
    await inside
    const waiting = [store.transaction(async () => {}), store.transaction(async () => {})]
    expect(store.writerQueue).toBe(2)
    release()
    await Promise.all([first, ...waiting])
    expect(store.writerQueue).toBe(0)
    await store.close()
  })
})
