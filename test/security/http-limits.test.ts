// Issue 7 "timeouts and caps" and "413 on keep-alive": slow, silent, greedy and oversized clients,
// driven through raw sockets (fetch would hide what the server does with the connection).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type TestServer } from '../support/server.ts'
import { connectRaw, statuses } from '../support/raw-http.ts'

const LIMITS = {
  headersTimeoutMs: 600,
  bodyTimeoutMs: 800,
  requestTimeoutMs: 1500,
  idleTimeoutMs: 700,
  maxConnectionsPerIp: 6,
  maxRealtimePerIp: 2,
}
const JSON_LIMIT = 2048
const MULTIPART_LIMIT = 64 * 1024

let s: TestServer
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

beforeAll(async () => {
  s = await startServer({ http: LIMITS, jsonBodyLimit: JSON_LIMIT, multipartBodyLimit: MULTIPART_LIMIT })
  s.app.routerAdd('GET', '/api/test/slow', async (e) => {
    await sleep(LIMITS.requestTimeoutMs * 2)
    return e.json(200, { late: true })
  })
})
afterAll(async () => { await s?.close() })

describe('timeouts', () => {
  it('a silent connection is closed by the header timeout', async () => {
    const c = await connectRaw(s.url)
    const { afterMs } = await c.closed
    expect(afterMs).toBeLessThan(LIMITS.headersTimeoutMs + 2000)
  })

  it('headers trickling in (slowloris) are cut by the header timeout', async () => {
    const c = await connectRaw(s.url)
    c.socket.write('GET /api/health HTTP/1.1\r\nHost: x\r\n')
    const tick = setInterval(() => { if (!c.socket.destroyed) c.socket.write('X-a: b\r\n') }, 100)
    const { afterMs } = await c.closed
    clearInterval(tick)
    expect(afterMs).toBeLessThan(LIMITS.headersTimeoutMs + 2000)
  })

  it('a body sent at a byte per 100 ms is answered 408 and the connection closed', async () => {
    const c = await connectRaw(s.url)
    c.socket.write('POST /api/collections/users/auth-with-password HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{')
    const tick = setInterval(() => { if (!c.socket.destroyed && c.socket.writable) c.socket.write(' ') }, 100)
    const { afterMs } = await c.closed
    clearInterval(tick)
    expect(statuses(c.text())).toEqual([408])
    expect(c.text()).toMatch(/connection: close/i)
    expect(c.text()).toContain('"status":408')
    expect(afterMs).toBeLessThan(LIMITS.headersTimeoutMs + LIMITS.bodyTimeoutMs + 2000)
  })

  it('an idle keep-alive connection is closed after the idle timeout', async () => {
    const c = await connectRaw(s.url)
    c.socket.write('GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n')
    await c.until(/"API is healthy\."/)
    const { afterMs } = await c.closed
    expect(afterMs).toBeGreaterThanOrEqual(LIMITS.idleTimeoutMs - 50)
    expect(afterMs).toBeLessThan(LIMITS.idleTimeoutMs + 2000)
  })

  it('a response that does not start in time is a 503 with Connection: close', async () => {
    const c = await connectRaw(s.url)
    c.socket.write('GET /api/test/slow HTTP/1.1\r\nHost: x\r\n\r\n')
    await c.closed
    expect(statuses(c.text())).toEqual([503])
    expect(c.text()).toMatch(/connection: close/i)
  })
})

describe('per-IP caps', () => {
  it('connections past BASALT_MAX_CONNECTIONS_PER_IP are refused with 429; a freed slot is reusable', async () => {
    const open = await Promise.all(Array.from({ length: LIMITS.maxConnectionsPerIp }, () => connectRaw(s.url)))
    const extra = await connectRaw(s.url)
    await extra.closed
    expect(statuses(extra.text())).toEqual([429])
    expect(extra.text()).toContain('Too many open connections')
    open[0].socket.destroy()
    await open[0].closed
    await sleep(50)
    const again = await connectRaw(s.url)
    again.socket.write('GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    await again.closed
    expect(statuses(again.text())).toEqual([200])
    for (const c of open) c.socket.destroy()
  })

  it('realtime streams past BASALT_MAX_REALTIME_PER_IP are refused with 429', async () => {
    const streams = await Promise.all(Array.from({ length: LIMITS.maxRealtimePerIp }, async () => {
      const c = await connectRaw(s.url)
      c.socket.write('GET /api/realtime HTTP/1.1\r\nHost: x\r\n\r\n')
      await c.until(/PB_CONNECT/)
      return c
    }))
    const extra = await connectRaw(s.url)
    extra.socket.write('GET /api/realtime HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    await extra.closed
    expect(statuses(extra.text())).toEqual([429])
    streams[0].socket.destroy()
    await streams[0].closed
    await sleep(50)
    const next = await connectRaw(s.url)
    next.socket.write('GET /api/realtime HTTP/1.1\r\nHost: x\r\n\r\n')
    await next.until(/PB_CONNECT/)
    for (const c of [...streams, next]) c.socket.destroy()
  })
})

describe('413 on a kept-alive connection', () => {
  const next = 'GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n'
  const expectClosedCleanly = async (c: Awaited<ReturnType<typeof connectRaw>>) => {
    const { reset } = await c.closed
    expect(statuses(c.text())).toEqual([413])
    expect(c.text()).toMatch(/connection: close/i)
    expect(c.text()).toContain('"status":413')
    expect(reset).toBe(false)
  }

  it('JSON: answered with Connection: close, the pipelined next request is not misread, no reset', async () => {
    const c = await connectRaw(s.url)
    const body = JSON.stringify({ identity: 'x'.repeat(JSON_LIMIT * 4), password: 'y' })
    c.socket.write(`POST /api/collections/users/auth-with-password HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}${next}`)
    await expectClosedCleanly(c)
  })

  it('multipart upload: the same, with the body still arriving when the 413 is decided', async () => {
    const c = await connectRaw(s.url)
    const boundary = 'XbasaltX'
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="avatar"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`
    const tail = `\r\n--${boundary}--\r\n`
    const file = Buffer.alloc(MULTIPART_LIMIT * 8, 0x61)
    c.socket.write(`POST /api/collections/users/records HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${head.length + file.length + tail.length}\r\n\r\n${head}`)
    for (let i = 0; i < 8; i++) {
      if (!c.socket.writable) break
      c.socket.write(file.subarray(i * MULTIPART_LIMIT, (i + 1) * MULTIPART_LIMIT))
      await sleep(20)
    }
    if (c.socket.writable) c.socket.write(tail + next)
    await expectClosedCleanly(c)
  })
})
