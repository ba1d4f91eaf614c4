// CircuitBreaker state machine on a real SQLite row, with a frozen clock: threshold, cool-down doubling and
// cap, one probe at a time (and another once a probe's lease lapses), stragglers ignored, success closes.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SqliteStore } from '../../store/sqlite-store.ts'
import { sql } from '../../store/sql.ts'
import { CircuitBreaker, type CircuitRow } from './circuit.ts'

let store: SqliteStore
let t = Date.parse('2026-12-04T10:00:00.000Z')
const clock = { now: () => new Date(t) }
const breaker = () => new CircuitBreaker(store, clock, { threshold: 3, cooldownMs: 1000, maxCooldownMs: 5000 }, 20_000)
const row = async () => (await store.get<CircuitRow>(sql`SELECT "id", "circuit", "failures", "openUntil" FROM "_webhooks" WHERE "id" = 'h'`))!
const until = (r: CircuitRow) => Date.parse(r.openUntil!.replace(' ', 'T'))

beforeEach(async () => {
  store = new SqliteStore({ file: ':memory:' })
  await store.exec(`CREATE TABLE "_webhooks" ("id" TEXT PRIMARY KEY, "circuit" TEXT DEFAULT '' NOT NULL, "failures" NUMERIC DEFAULT 0 NOT NULL, "openUntil" TEXT DEFAULT '' NOT NULL)`)
  await store.run(sql`INSERT INTO "_webhooks" ("id") VALUES ('h')`)
  t = Date.parse('2026-12-04T10:00:00.000Z')
})
afterEach(() => store.close())

async function fail(b: CircuitBreaker, probe = false) {
  await b.record(await row(), false, probe)
}

describe('CircuitBreaker', () => {
  it('counts consecutive failures, a success resets them, and the threshold opens the circuit for the cool-down', async () => {
    const b = breaker()
    expect(await b.admit(await row())).toEqual({ send: true, probe: false })
    await fail(b)
    await fail(b)
    expect(await row()).toMatchObject({ circuit: '', failures: 2 })
    await b.record(await row(), true, false)
    expect(await row()).toMatchObject({ circuit: 'closed', failures: 0 })
    for (let i = 0; i < 3; i++) await fail(b)
    const opened = await row()
    expect(opened).toMatchObject({ circuit: 'open', failures: 3 })
    expect(until(opened)).toBe(t + 1000)
    expect(await b.admit(opened)).toEqual({ send: false, until: t + 1000 })
  })

  it('lets one probe through after the cool-down, doubles the cool-down when it fails, closes when one succeeds', async () => {
    const b = breaker()
    for (let i = 0; i < 3; i++) await fail(b)
    t += 1000
    const seen = await row()
    expect(await b.admit(seen)).toEqual({ send: true, probe: true })
    // Another attempt that read the same row loses the race; one reading the half-open row waits briefly.
    expect((await b.admit(seen)).send).toBe(false)
    expect(await b.admit(await row())).toEqual({ send: false, until: t + 1000 })
    // A straggler that started before the circuit opened changes nothing.
    await fail(b, false)
    expect(await row()).toMatchObject({ circuit: 'half-open', failures: 3 })
    await fail(b, true)
    const reopened = await row()
    expect(reopened).toMatchObject({ circuit: 'open', failures: 4 })
    expect(until(reopened)).toBe(t + 2000)
    t += 2000
    expect(await b.admit(await row())).toEqual({ send: true, probe: true })
    await b.record(await row(), true, true)
    expect(await row()).toMatchObject({ circuit: 'closed', failures: 0, openUntil: '' })
  })

  it('caps the cool-down and hands the probe to another attempt once a probe\'s lease lapses', async () => {
    const b = breaker()
    for (let i = 0; i < 3; i++) await fail(b)
    for (let probes = 0; probes < 5; probes++) {
      t = until(await row())
      expect((await b.admit(await row())).send).toBe(true)
      await fail(b, true)
    }
    expect(until(await row()) - t).toBe(5000) // 1 s · 2^5 capped at 5 s
    t = until(await row())
    expect(await b.admit(await row())).toEqual({ send: true, probe: true })
    // The probe never reports (its node died): after its 20 s lease the next attempt probes.
    t += 20_000
    expect(await b.admit(await row())).toEqual({ send: true, probe: true })
  })
})
