// Store contract, transactions: nested calls join the outer one, after-commit work runs only on commit.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SqliteStore } from '../../src/store/sqlite-store.ts'
import { PostgresStore } from '../../src/store/postgres-store.ts'
import { sql } from '../../src/store/sql.ts'
import type { Store } from '../../src/store/types.ts'
import { probe } from '../support/services.ts'
import { createTestDatabase } from '../support/server.ts'

const postgresUp = probe('postgres')
if (!postgresUp) console.warn('SKIP postgres: no PostgreSQL answered; store transaction contract runs on SQLite only.')

interface Opened { store: Store; close(): Promise<void> }

const engines: { name: string; available: boolean; open(): Promise<Opened> }[] = [
  {
    name: 'sqlite', available: true,
    async open() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basalt-store-'))
      const store = new SqliteStore({ file: path.join(dir, 'data.db') })
      return { store, close: async () => { await store.close(); fs.rmSync(dir, { recursive: true, force: true }) } }
    },
  },
  {
    name: 'postgres', available: postgresUp,
    async open() {
      const db = await createTestDatabase()
      const store = new PostgresStore({ connectionString: db.url, poolSize: 4 })
      return { store, close: async () => { await store.close(); await db.drop() } }
    },
  },
]

const count = async (s: Store) => Number((await s.get<{ n: number }>(sql`SELECT COUNT(*) AS "n" FROM "t"`))!.n)

for (const engine of engines) {
  describe.skipIf(!engine.available)(`store transactions [${engine.name}]`, () => {
    let opened: Opened
    let store: Store
    beforeAll(async () => {
      opened = await engine.open()
      store = opened.store
      await store.exec('CREATE TABLE "t" ("id" TEXT PRIMARY KEY)')
    })
    afterAll(() => opened?.close())

    it('a nested transaction joins the outer one instead of waiting for it', async () => {
      await store.transaction(async (tx) => {
        await tx.run(sql`INSERT INTO "t" ("id") VALUES ('outer')`)
        await store.transaction(async (inner) => { await inner.run(sql`INSERT INTO "t" ("id") VALUES ('inner')`) })
        // Reads through the store inside a transaction see its own uncommitted rows.
        expect(await store.get(sql`SELECT "id" FROM "t" WHERE "id" = 'inner'`)).toEqual({ id: 'inner' })
      })
      expect(await count(store)).toBe(2)
    })

    it('rolling back the outer transaction undoes what nested calls wrote', async () => {
      const before = await count(store)
      await expect(store.transaction(async () => {
        await store.transaction(async (inner) => { await inner.run(sql`INSERT INTO "t" ("id") VALUES ('doomed')`) })
        await store.run(sql`INSERT INTO "t" ("id") VALUES ('doomed2')`)
        throw new Error('boom')
      })).rejects.toThrow('boom')
      expect(await count(store)).toBe(before)
    })

    it('runs after-commit work once the outermost transaction committed, and never on rollback', async () => {
      const log: string[] = []
      await store.transaction(async (tx) => {
        store.afterCommit(() => { log.push('outer') })
        await store.transaction(async () => { store.afterCommit(() => { log.push('inner') }) })
        await tx.run(sql`INSERT INTO "t" ("id") VALUES ('ac1')`)
        expect(log).toEqual([])
      })
      expect(log).toEqual(['outer', 'inner'])
      await store.transaction(async () => {
        store.afterCommit(() => { log.push('rolled back') })
        throw new Error('no')
      }).catch(() => {})
      expect(log).toEqual(['outer', 'inner'])
    })

    it('work started inside a transaction that outlives it opens its own transaction', async () => {
      let later!: Promise<void>
      await store.transaction(async () => {
        later = new Promise<void>((resolve, reject) => setTimeout(() => {
          store.transaction(async (tx) => { await tx.run(sql`INSERT INTO "t" ("id") VALUES ('later')`) }).then(resolve, reject)
        }, 20))
      })
      await later
      expect(await store.get(sql`SELECT "id" FROM "t" WHERE "id" = 'later'`)).toEqual({ id: 'later' })
    })

    it('concurrent transactions outside each other stay isolated and all commit', async () => {
      const before = await count(store)
      await Promise.all(Array.from({ length: 20 }, (_, i) => store.transaction(async (tx) => {
        await tx.run(sql`INSERT INTO "t" ("id") VALUES (${`c${i}`})`)
        await store.transaction(async (inner) => { await inner.run(sql`INSERT INTO "t" ("id") VALUES (${`d${i}`})`) })
      })))
      expect(await count(store)).toBe(before + 40)
    })
  })
}

describe.skipIf(!postgresUp)('runInTransaction retries [postgres]', () => {
  it('a deadlocked transaction is retried and both finish', async () => {
    const { runInTransaction } = await import('../../src/framework/transactions.ts')
    const opened = await engines[1].open()
    const store = opened.store
    try {
      await store.exec('CREATE TABLE "acc" ("id" TEXT PRIMARY KEY, "n" INTEGER NOT NULL)')
      await store.run(sql`INSERT INTO "acc" ("id", "n") VALUES ('a', 0), ('b', 0)`)
      let attempts = 0
      // Both lock their first row, wait until the other did too, then reach for the other's row: a deadlock.
      let arrived = 0
      const barrier = async () => { arrived++; while (arrived < 2) await new Promise((r) => setTimeout(r, 5)) }
      const transfer = (first: string, second: string) => runInTransaction(store, async () => {
        attempts++
        await store.run(sql`UPDATE "acc" SET "n" = "n" + 1 WHERE "id" = ${first}`)
        if (attempts <= 2) await barrier()
        await store.run(sql`UPDATE "acc" SET "n" = "n" + 1 WHERE "id" = ${second}`)
      })
      await Promise.all([transfer('a', 'b'), transfer('b', 'a')])
      expect(attempts).toBeGreaterThan(2)
      expect(await store.all(sql`SELECT "id", "n" FROM "acc" ORDER BY "id"`)).toEqual([{ id: 'a', n: 2 }, { id: 'b', n: 2 }])
    } finally {
      await opened.close()
    }
  })
})
