// A real webhook receiver for the kill -9 tests: records every delivery, and from the Nth on holds its
// answers (received, never acknowledged) so deliveries are in flight when a node is killed.
import http from 'node:http'
import type net from 'node:net'

export interface Delivery { subject: string; webhookId: string; bodyId: string }

export interface HoldingReceiver {
  url: string
  got: Delivery[]
  /** Subjects answered 200 before holding started. */
  acked: Set<string>
  held: http.ServerResponse[]
  /** Stops holding and drops the held requests (their senders see a reset and retry). */
  release(): void
  close(): Promise<void>
}

export async function startHoldingReceiver(holdFrom = 40): Promise<HoldingReceiver> {
  const got: Delivery[] = []
  const acked = new Set<string>()
  const held: http.ServerResponse[] = []
  let holding = false
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c) => { body += c })
    req.on('end', () => {
      const e = JSON.parse(body) as { id: string; subject: string }
      got.push({ subject: e.subject, webhookId: String(req.headers['webhook-id']), bodyId: e.id })
      if (got.length === holdFrom) holding = true
      if (holding) { held.push(res); return }
      acked.add(e.subject)
      res.writeHead(200).end('ok')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/hook`,
    got, acked, held,
    release() {
      holding = false
      for (const res of held.splice(0)) res.destroy()
    },
    async close() {
      server.closeAllConnections()
      await new Promise((r) => server.close(r))
    },
  }
}
