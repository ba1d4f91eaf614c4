// PgSchemaChannel: LISTEN/NOTIFY between two nodes, own messages ignored, and recovery after the listener is killed.
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { POSTGRES_URL, probe } from '../../test/support/services.ts'
import { waitFor } from '../realtime/brokers/broker.contract.ts'
import { PgSchemaChannel } from './pg-schema-channel.ts'

const hasPg = probe('postgres')
if (!hasPg) console.warn(`SKIP postgres: no PostgreSQL at ${POSTGRES_URL}; PgSchemaChannel tests skipped.`)

async function admin(text: string, values: unknown[] = []): Promise<void> {
  const c = new pg.Client({ connectionString: POSTGRES_URL })
  await c.connect()
  try { await c.query(text, values) } finally { await c.end() }
}

describe.skipIf(!hasPg)('PgSchemaChannel', () => {
  const db = `basalt_c_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
  const url = () => { const u = new URL(POSTGRES_URL); u.pathname = `/${db}`; return u.toString() }
  beforeAll(() => admin(`CREATE DATABASE ${db}`))
  afterAll(() => admin(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`))

  it('signals other nodes only, and reconnects (reporting a gap) after its backend is terminated', async () => {
    const quiet = { onError: () => {} }
    const a = new PgSchemaChannel({ connectionString: url(), nodeId: 'node-a', ...quiet })
    const b = new PgSchemaChannel({ connectionString: url(), nodeId: 'node-b', ...quiet })
    try {
      const atA: string[] = []
      const atB: string[] = []
      a.onRemote(() => atA.push('remote'))
      b.onRemote(() => atB.push('remote'))
      b.onGap(() => atB.push('gap'))
      expect(await a.ready(5000)).toBe(true)
      expect(await b.ready(5000)).toBe(true)
      await waitFor(() => atB.includes('gap')) // the first LISTEN counts: nothing was heard before it
      await a.send()
      await waitFor(() => atB.filter((x) => x === 'remote').length === 1)
      expect(atA).toEqual([])

      atB.length = 0
      await admin('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', ['basalt-schema-node-b'])
      await waitFor(() => atB.includes('gap'), 5000)
      await a.send()
      await waitFor(() => atB.includes('remote'), 2000)
    } finally {
      await Promise.all([a.close(), b.close()])
    }
  })

  it('send rejects while disconnected instead of hanging', async () => {
    const c = new PgSchemaChannel({ connectionString: 'postgres://postgres@127.0.0.1:1/none', nodeId: 'x', onError: () => {} })
    try {
      expect(await c.ready(200)).toBe(false)
      await expect(c.send()).rejects.toThrow()
    } finally {
      await c.close()
    }
  })
})
