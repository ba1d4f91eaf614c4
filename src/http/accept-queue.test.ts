// The accept-queue reading (Linux /proc/net/tcp) and the age of the queue's head.
import { spawn } from 'node:child_process'
import net from 'node:net'
import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { AcceptQueueAge, acceptQueueLength, parseAcceptQueue } from './accept-queue.ts'

const PROC = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F9A 00000000:0000 0A 00000000:0000001F 00:00000000 00000000     0        0 1108 1 0000 100 0 0 10 0
   1: 00000000:1F9A 00000000:0000 0A 00000000:00000002 00:00000000 00000000     0        0 1109 1 0000 100 0 0 10 0
   2: 0100007F:1F9B 00000000:0000 0A 00000000:00000005 00:00000000 00000000     0        0 1110 1 0000 100 0 0 10 0
   3: 0100007F:1F9A 0100007F:D3A2 01 00000000:00000040 00:00000000 00000000     0        0 1111 1 0000 20 4 30 10 -1
`

describe('parseAcceptQueue', () => {
  it('sums the rx_queue of LISTEN sockets on the port and ignores other ports and connected sockets', () => {
    expect(parseAcceptQueue(PROC, 0x1f9a)).toBe(0x1f + 2)
    expect(parseAcceptQueue(PROC, 0x1f9b)).toBe(5)
  })
  it('answers null for a port nobody listens on', () => {
    expect(parseAcceptQueue(PROC, 80)).toBeNull()
  })
})

describe('AcceptQueueAge', () => {
  it('dates the head of the queue from the look at which it had arrived', () => {
    const q = new AcceptQueueAge()
    q.record(0, null) // idle: nothing queued
    q.record(50, 10) // 10 arrived, none accepted yet
    q.record(100, 30)
    expect(q.headAgeMs()).toBe(50) // the next one (arrival 1) was there at t=50
    q.accepted = 12 // arrivals 1–12 taken; 13 arrived by t=100
    q.record(150, 20)
    expect(q.headAgeMs()).toBe(50)
    q.accepted = 32
    q.record(200, 0)
    expect(q.headAgeMs()).toBe(0)
  })

  it('calls a queue standing while it does not shrink, and a draining burst not standing', () => {
    const q = new AcceptQueueAge()
    q.record(0, 50)
    q.accepted = 10
    q.record(50, 40)
    expect(q.standing()).toBe(false)
    q.accepted = 20
    q.record(100, 45) // 15 more arrived than were accepted: growing again
    expect(q.standing()).toBe(true)
  })

  it('calls a full queue standing although it shrinks by one per look (the kernel drops new arrivals)', () => {
    const q = new AcceptQueueAge()
    q.record(0, 4096)
    q.accepted = 1
    q.record(50, 4095) // would take 4095 × 50 ms to empty
    expect(q.standing()).toBe(true)
    const burst = new AcceptQueueAge()
    burst.record(0, 50)
    burst.accepted = 25
    burst.record(50, 25) // empties in another 50 ms
    expect(burst.standing()).toBe(false)
  })

  it('forgets looks older than its horizon', () => {
    const q = new AcceptQueueAge(1000)
    q.record(0, 5)
    for (let t = 50; t <= 3000; t += 50) q.record(t, 5)
    expect(q.headAgeMs()).toBeLessThanOrEqual(1000)
  })
})

describe.skipIf(!existsSync('/proc/net/tcp'))('acceptQueueLength (Linux)', () => {
  it('reads the connections the kernel holds for a listener that has not accepted them', async () => {
    const server = net.createServer()
    await new Promise<void>((r) => server.listen({ port: 0, host: '127.0.0.1', backlog: 64 }, r))
    const { port } = server.address() as net.AddressInfo
    expect(acceptQueueLength(port, 'IPv4')).toBe(0)
    // A child process connects 5 sockets while this loop is kept busy, so none is accepted.
    const child = spawn(process.execPath, ['-e', `const net=require('net');for(let i=0;i<5;i++)net.connect(${port},'127.0.0.1');setTimeout(()=>{},3000)`], { stdio: 'ignore' })
    let seen = 0
    const until = Date.now() + 5000
    while (Date.now() < until && seen < 5) seen = acceptQueueLength(port, 'IPv4') ?? -1
    child.kill()
    server.close()
    expect(seen).toBe(5)
  })
})
