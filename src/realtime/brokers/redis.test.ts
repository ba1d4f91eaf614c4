// RedisBroker: the shared broker contract (one node, and across two nodes) plus cross-node, dedupe and outage behaviour.
import { spawn, type ChildProcess } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import { Redis } from 'ioredis'
import { probe, REDIS_URL } from '../../../test/support/services.ts'
import type { Broker, ChangeEvent } from '../types.ts'
import { brokerContract, event, waitFor } from './broker.contract.ts'
import { RedisBroker, type GapInfo, type RedisBrokerOptions } from './redis.ts'
import { freePort } from '../../../test/support/ports.ts'

const reachable = probe('redis')
if (!reachable) console.warn(`SKIP redis: no Redis answered at ${REDIS_URL}; RedisBroker tests skipped.`)

const quiet = { onError: () => {}, onRedisError: () => {} }
const prefix = () => `t${Math.random().toString(36).slice(2, 10)}`

async function node(opts: Partial<RedisBrokerOptions> & { prefix: string }): Promise<RedisBroker> {
  const b = new RedisBroker({ url: REDIS_URL, ...quiet, ...opts })
  if (!(await b.ready(5000))) throw new Error('redis broker did not subscribe')
  return b
}

/** Two nodes seen as one Broker: publish on A, subscribe on B — the contract then covers the Redis path. */
async function remotePair(): Promise<Broker> {
  const p = prefix()
  const [a, b] = [await node({ prefix: p }), await node({ prefix: p })]
  return {
    capabilities: {},
    publish: (e) => a.publish(e),
    subscribe: (h) => b.subscribe(h),
    close: async () => { await Promise.all([a.close(), b.close()]) },
  }
}

/** A private redis-server we may kill and restart (the shared one must stay up for everyone else). */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
  const probeClient = new Redis({ port, host: '127.0.0.1', retryStrategy: () => 50, maxRetriesPerRequest: 0 })
  probeClient.on('error', () => {})
  try {
    await waitFor(() => probeClient.status === 'ready', 5000)
  } finally {
    probeClient.disconnect()
  }
  return child
}

async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGKILL')
  await exited
}

if (reachable) {
  brokerContract('redis (one node)', () => node({ prefix: prefix() }))
  brokerContract('redis (publish on node A, subscribe on node B)', remotePair)
}

describe.skipIf(!reachable)('RedisBroker across nodes', () => {
  const open: RedisBroker[] = []
  const children: ChildProcess[] = []
  afterEach(async () => {
    await Promise.all(open.splice(0).map((b) => b.close()))
    await Promise.all(children.splice(0).map(stopRedis))
  })
  const start = async (opts: Partial<RedisBrokerOptions> & { prefix: string }) => {
    const b = await node(opts)
    open.push(b)
    return b
  }

  it('delivers each node\'s events to the other once, in order, and its own events once', async () => {
    const p = prefix()
    const [a, b] = [await start({ prefix: p }), await start({ prefix: p })]
    const atA: ChangeEvent[] = []
    const atB: ChangeEvent[] = []
    a.subscribe((e) => atA.push(e))
    b.subscribe((e) => atB.push(e))
    await Promise.all(Array.from({ length: 50 }, (_, i) => a.publish(event(i))))
    await Promise.all(Array.from({ length: 50 }, (_, i) => b.publish(event(100 + i))))
    await waitFor(() => atA.length >= 100 && atB.length >= 100)
    await new Promise((r) => setTimeout(r, 100)) // room for a wrongly echoed duplicate to show up
    const fromA = Array.from({ length: 50 }, (_, i) => i)
    const fromB = Array.from({ length: 50 }, (_, i) => 100 + i)
    for (const got of [atA, atB]) {
      expect(got).toHaveLength(100)
      expect(got.map((e) => e.seq).filter((s) => s! < 100)).toEqual(fromA)
      expect(got.map((e) => e.seq).filter((s) => s! >= 100)).toEqual(fromB)
    }
  })

  it('does not cross prefixes', async () => {
    const [a, b] = [await start({ prefix: prefix() }), await start({ prefix: prefix() })]
    const atB: ChangeEvent[] = []
    b.subscribe((e) => atB.push(e))
    await a.publish(event(1))
    await b.publish(event(2))
    await waitFor(() => atB.length === 1)
    await new Promise((r) => setTimeout(r, 50))
    expect(atB.map((e) => e.seq)).toEqual([2])
  })

  it('drops duplicates and reports a sequence gap, without a reconnect', async () => {
    const p = prefix()
    const b = await start({ prefix: p })
    const got: number[] = []
    const gaps: GapInfo[] = []
    b.subscribe((e) => got.push(e.seq!))
    b.onGap((g) => gaps.push(g))
    const raw = new Redis(REDIS_URL)
    const send = (s: number) => raw.publish(`basalt:${p}:events`, JSON.stringify({ n: 'peer', s, t: 'e', e: event(s) }))
    try {
      for (const s of [1, 2, 2, 1, 3, 5, 6]) await send(s)
      await waitFor(() => got.length === 5)
      await new Promise((r) => setTimeout(r, 50))
      expect(got).toEqual([1, 2, 3, 5, 6])
      expect(gaps).toEqual([{ reason: 'seq', node: 'peer' }])
      // A heartbeat with a higher sequence: the peer's last event was lost.
      await raw.publish(`basalt:${p}:events`, JSON.stringify({ n: 'peer', s: 7, t: 'h' }))
      await waitFor(() => gaps.length === 2)
      // The peer says it failed to hand event 8 to Redis; event 9 arrives in sequence order otherwise.
      await raw.publish(`basalt:${p}:events`, JSON.stringify({ n: 'peer', s: 9, l: 8, t: 'e', e: event(9) }))
      await waitFor(() => gaps.length === 3)
      expect(gaps.slice(1)).toEqual([{ reason: 'seq', node: 'peer' }, { reason: 'lost', node: 'peer' }])
      expect(got.at(-1)).toBe(9)
    } finally {
      raw.disconnect()
    }
  })

  it('passes side-channel messages to other nodes only', async () => {
    const p = prefix()
    const [a, b] = [await start({ prefix: p }), await start({ prefix: p })]
    const atA: string[] = []
    const atB: string[] = []
    a.onNotify('schema', (d) => atA.push(d))
    b.onNotify('schema', (d) => atB.push(d))
    // Channels added after the broker was ready: ready() waits for their SUBSCRIBE too.
    expect(await b.ready(1000)).toBe(true)
    await a.notify('schema', 'changed')
    await waitFor(() => atB.length === 1)
    expect(atB).toEqual(['changed'])
    expect(atA).toEqual([])
  })

  it('subscribes a side channel registered while the initial SUBSCRIBE is in flight', async () => {
    const p = prefix()
    const a = await start({ prefix: p })
    const b = new RedisBroker({ url: REDIS_URL, prefix: p, ...quiet })
    open.push(b)
    const got: string[] = []
    // Runs right after the broker's own 'ready' listener has sent SUBSCRIBE, before Redis answers.
    ;(b as unknown as { sub: Redis }).sub.once('ready', () => b.onNotify('schema', (d) => got.push(d)))
    expect(await b.ready(5000)).toBe(true)
    await a.notify('schema', 'late')
    await waitFor(() => got.length === 1)
  })

  it('keeps delivering locally and publishing fast while Redis is unreachable', async () => {
    const b = new RedisBroker({ url: `redis://127.0.0.1:${await freePort()}`, prefix: prefix(), ...quiet })
    open.push(b)
    expect(await b.ready(200)).toBe(false)
    const got: number[] = []
    b.subscribe((e) => got.push(e.seq!))
    const t0 = Date.now()
    await b.publish(event(1))
    expect(Date.now() - t0).toBeLessThan(500)
    await waitFor(() => got.length === 1)
  })

  it('survives a Redis restart: onGap fires on each node and delivery resumes', async () => {
    const port = await freePort()
    let redis = await startRedis(port)
    children.push(redis)
    const url = `redis://127.0.0.1:${port}`
    const p = prefix()
    const [a, b] = [await start({ url, prefix: p, heartbeatMs: 100 }), await start({ url, prefix: p, heartbeatMs: 100 })]
    const atA: number[] = []
    const atB: number[] = []
    const gaps: string[] = []
    a.subscribe((e) => atA.push(e.seq!))
    b.subscribe((e) => atB.push(e.seq!))
    a.onGap((g) => gaps.push(`a:${g.reason}`))
    b.onGap((g) => gaps.push(`b:${g.reason}`))
    await a.publish(event(1))
    await waitFor(() => atB.length === 1)

    await stopRedis(redis)
    // While Redis is down: publish stays bounded and local delivery still happens.
    const t0 = Date.now()
    for (let i = 2; i <= 4; i++) await a.publish(event(i))
    expect(Date.now() - t0).toBeLessThan(1000)
    await waitFor(() => atA.length === 4)

    redis = await startRedis(port)
    children.push(redis)
    await waitFor(() => gaps.includes('a:reconnect') && gaps.includes('b:reconnect'), 10_000)
    expect(await b.ready(5000)).toBe(true)
    await waitFor(() => a.connected && b.connected)
    await a.publish(event(5))
    await waitFor(() => atB.includes(5), 5000)
    // Events 2–4 were lost for B (at-most-once) and that loss was signalled, not hidden.
    expect(atB).toEqual([1, 5])
    // The reconnect resynced B's view of A: the jump from 1 to 5 is not reported a second time.
    expect(gaps.filter((g) => g.startsWith('b:'))).toEqual(['b:reconnect'])
  })
})
