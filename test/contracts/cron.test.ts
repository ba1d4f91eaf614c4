// Cron contract on SQLite and PostgreSQL: each tick runs once across schedulers sharing a database; missed ticks are recorded, not run.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SqliteStore } from '../../src/store/sqlite-store.ts'
import { PostgresStore } from '../../src/store/postgres-store.ts'
import { systemClock } from '../../src/core/clock.ts'
import { CronScheduler } from '../../src/jobs/cron.ts'
import { claimTick } from '../../src/jobs/cron-sql.ts'
import { migrateBackgroundTables } from '../../src/jobs/index.ts'
import type { Store } from '../../src/store/types.ts'
import { probe } from '../support/services.ts'
import { createTestDatabase } from '../support/server.ts'
import { waitFor } from '../support/wait.ts'

const postgresUp = probe('postgres')
if (!postgresUp) console.warn('SKIP postgres: no PostgreSQL answered; the cron contract runs on SQLite only.')

interface Opened { stores: Store[]; close(): Promise<void> }

/** Three "nodes": three stores (connections) on one database. */
const engines: { name: string; available: boolean; open(): Promise<Opened> }[] = [
  {
    name: 'sqlite', available: true,
    async open() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basalt-cron-'))
      // SQLite is single-process: the schedulers share one store (several stores in one process would
      // block each other's synchronous BEGIN IMMEDIATE on the same event loop).
      const store = new SqliteStore({ file: path.join(dir, 'data.db') })
      return { stores: [store, store, store], close: async () => { await store.close(); fs.rmSync(dir, { recursive: true, force: true }) } }
    },
  },
  {
    name: 'postgres', available: postgresUp,
    async open() {
      const db = await createTestDatabase()
      const stores = [0, 1, 2].map(() => new PostgresStore({ connectionString: db.url, poolSize: 2 }))
      return { stores, close: async () => { for (const s of stores) await s.close(); await db.drop() } }
    },
  },
]

for (const engine of engines) {
  describe.skipIf(!engine.available)(`cron [${engine.name}]`, () => {
    let opened: Opened
    const schedulers: CronScheduler[] = []
    const node = (store: Store, i: number) => {
      const c = new CronScheduler({ store, clock: systemClock, nodeId: `node-${i}`, onError: () => {} })
      schedulers.push(c)
      return c
    }
    beforeAll(async () => {
      opened = await engine.open()
      await opened.stores[0].transaction((tx) => migrateBackgroundTables(tx, opened.stores[0].dialect))
    })
    afterAll(async () => {
      for (const c of schedulers) await c.stop(1000)
      await opened?.close()
    })

    it('fires each tick exactly once across three schedulers on one database', async () => {
      const ticks: { node: number; tick: number }[] = []
      const nodes = opened.stores.map((s, i) => node(s, i))
      nodes.forEach((c, i) => c.add('every-second', '* * * * * *', (e) => { ticks.push({ node: i, tick: e.tick.getTime() }) }))
      nodes.forEach((c) => c.start())
      await waitFor(() => new Set(ticks.map((t) => t.tick)).size >= 3, 10_000, 'three ticks')
      for (const c of nodes) await c.stop(1000)
      const perTick = new Map<number, number>()
      for (const t of ticks) perTick.set(t.tick, (perTick.get(t.tick) ?? 0) + 1)
      expect([...perTick.values()].every((n) => n === 1)).toBe(true)
      expect([...perTick.keys()].every((t) => t % 1000 === 0)).toBe(true)
      const runs = await nodes[0].runs('every-second')
      expect(runs.filter((r) => r.state === 'completed').length).toBeGreaterThanOrEqual(3)
    })

    it('records ticks missed while no node ran, once, and does not run them', async () => {
      const now = Date.now()
      const last = Math.floor((now - 12_000) / 1000) * 1000
      await claimTick(opened.stores[0], 'missed-demo', last, 'completed', 'old-node', last)
      const ran: number[] = []
      const nodes = opened.stores.map((s, i) => node(s, i))
      nodes.forEach((c) => c.add('missed-demo', '* * * * * *', (e) => { ran.push(e.tick.getTime()) }))
      nodes.forEach((c) => c.start())
      await waitFor(async () => (await nodes[0].runs('missed-demo', 100)).filter((r) => r.state === 'missed').length >= 6, 5000, 'missed ticks recorded')
      for (const c of nodes) await c.stop(1000)
      const runs = await nodes[0].runs('missed-demo', 100)
      const missed = runs.filter((r) => r.state === 'missed').map((r) => r.tick)
      // Every whole second after the last run up to 5 s before start-up, each recorded once, none run.
      expect(missed.length).toBeGreaterThanOrEqual(5)
      expect(new Set(missed).size).toBe(missed.length)
      expect(Math.min(...missed)).toBe(last + 1000)
      expect(ran.some((t) => missed.includes(t))).toBe(false)
    })

    it('reads expressions in a time zone and rejects invalid ones', () => {
      const c = node(opened.stores[0], 9)
      c.add('nine-in-tokyo', '0 9 * * *', () => {}, { timezone: 'Asia/Tokyo' })
      expect(c.nextRun('nine-in-tokyo')!.getUTCHours()).toBe(0)
      c.add('five-field', '*/5 * * * *', () => {})
      expect(c.nextRun('five-field')!.getUTCMinutes() % 5).toBe(0)
      expect(() => c.add('bad', 'not a cron', () => {})).toThrow(/invalid cron expression/)
      expect(() => c.add('bad id!', '* * * * *', () => {})).toThrow(/invalid cron id/)
      expect(c.list().map((x) => x.id)).toEqual(['five-field', 'nine-in-tokyo'])
    })
  })
}
