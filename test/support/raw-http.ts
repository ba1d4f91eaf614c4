// Raw TCP clients for the HTTP hardening suites: what a slow, silent or pipelining client really sends.
import net from 'node:net'

export interface RawConnection {
  socket: net.Socket
  /** Everything received so far. */
  text(): string
  /** Resolves when the server closed the connection: how, and after how long. */
  closed: Promise<{ reset: boolean; afterMs: number }>
  /** Resolves once the received text matches. */
  until(pattern: RegExp, timeoutMs?: number): Promise<string>
}

export async function connectRaw(url: string): Promise<RawConnection> {
  const { hostname, port } = new URL(url)
  const socket = net.connect({ host: hostname, port: Number(port) })
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject) })
  const started = Date.now()
  let received = ''
  let reset = false
  const listeners = new Set<() => void>()
  socket.on('data', (chunk) => { received += chunk.toString('latin1'); for (const l of listeners) l() })
  socket.on('error', (err) => { if ((err as NodeJS.ErrnoException).code === 'ECONNRESET') reset = true })
  const closed = new Promise<{ reset: boolean; afterMs: number }>((resolve) => socket.once('close', () => resolve({ reset, afterMs: Date.now() - started })))
  return {
    socket,
    text: () => received,
    closed,
    until(pattern, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!pattern.test(received)) return
          listeners.delete(check); clearTimeout(timer); resolve(received)
        }
        const timer = setTimeout(() => { listeners.delete(check); reject(new Error(`timed out waiting for ${pattern}; got ${JSON.stringify(received.slice(0, 500))}`)) }, timeoutMs)
        listeners.add(check)
        check()
      })
    },
  }
}

/** Status codes of every response in `text`, in order. */
export function statuses(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]))
}
