// How many connections wait in the kernel's accept queue of a listening port — a queue the process
// cannot otherwise see (load-shedding.ts). Linux reports it per socket in /proc/net/tcp{,6}: for a
// LISTEN socket (state 0A) the rx_queue column is the accept backlog. Listening sockets are listed
// first, so the first page of the file is enough. Reading it still costs the kernel ~0.5 ms (it walks
// its connection table), so the shedder only asks while the loop is saturated, once per window.
import { closeSync, openSync, readSync } from 'node:fs'

const HEAD_BYTES = 16 * 1024
const LISTEN = '0A'
const buffer = Buffer.alloc(HEAD_BYTES)

/** Sum of the accept queues of `port`'s listening sockets, from /proc/net/tcp-format text. */
export function parseAcceptQueue(text: string, port: number): number | null {
  const suffix = ':' + port.toString(16).toUpperCase().padStart(4, '0')
  let found = false
  let queued = 0
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/)
    if (cols[3] !== LISTEN) continue
    if (!cols[1]?.endsWith(suffix)) continue
    const rx = cols[4]?.split(':')[1]
    if (rx === undefined) continue
    found = true
    queued += parseInt(rx, 16)
  }
  return found ? queued : null
}

/** Connections waiting to be accepted on `port`; null where the system does not say (not Linux, no /proc). */
export function acceptQueueLength(port: number, family: 'IPv4' | 'IPv6'): number | null {
  let fd: number
  try { fd = openSync(family === 'IPv6' ? '/proc/net/tcp6' : '/proc/net/tcp', 'r') } catch { return null }
  try {
    const n = readSync(fd, buffer, 0, HEAD_BYTES, 0)
    return parseAcceptQueue(buffer.toString('latin1', 0, n), port)
  } catch {
    return null
  } finally {
    closeSync(fd)
  }
}

/**
 * How long the connection at the head of the accept queue has waited. The queue is FIFO, so the
 * connection accepted next is arrival number (accepted + 1); arrivals so far are accepted + queued.
 * Keeping (time, arrivals) at each look tells when that arrival happened. While nobody looks (the
 * loop has idle time, so libuv drains the queue each iteration) the queue is taken as empty.
 */
/** A queue that would take longer than this to empty at its current pace is not a passing burst. */
const DRAIN_HORIZON_MS = 2000

export class AcceptQueueAge {
  accepted = 0
  private readonly times: number[] = []
  private readonly arrivals: number[] = []
  private readonly acceptedAt: number[] = []

  constructor(private readonly keepMs = 30_000) {}

  /** Records a look at the queue: `queued` connections waiting at `nowMs` (null: not looked, taken as 0). */
  record(nowMs: number, queued: number | null): void {
    this.times.push(nowMs)
    this.arrivals.push(this.accepted + (queued ?? 0))
    this.acceptedAt.push(this.accepted)
    while (this.times.length > 1 && nowMs - this.times[0] > this.keepMs) {
      this.times.shift()
      this.arrivals.shift()
      this.acceptedAt.shift()
    }
  }

  /**
   * Whether the queue at the last look stands rather than drains by itself: it did not shrink since the
   * look before, or it shrinks so slowly that emptying it would take longer than `drainHorizonMs`. The
   * second case is a full queue: the kernel drops new connections, so it can only shrink, by one per
   * loop iteration. A burst of clients connecting at once empties within a second or two.
   */
  standing(drainHorizonMs = DRAIN_HORIZON_MS): boolean {
    const n = this.arrivals.length
    if (n < 2) return false
    const queuedNow = this.arrivals[n - 1] - this.acceptedAt[n - 1]
    const queuedBefore = this.arrivals[n - 2] - this.acceptedAt[n - 2]
    if (queuedNow <= 0) return false
    if (queuedNow >= queuedBefore) return true
    const drainMs = (queuedNow * (this.times[n - 1] - this.times[n - 2])) / (queuedBefore - queuedNow)
    return drainMs > drainHorizonMs
  }

  /** Age of the head of the queue at the last look, ms (0 when the queue was empty). */
  headAgeMs(): number {
    const last = this.arrivals.length - 1
    if (last < 0 || this.arrivals[last] <= this.accepted) return 0
    const head = this.accepted + 1
    // Arrivals only grow: the first look that had counted the head is when it had arrived by.
    let lo = 0
    let hi = last
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (this.arrivals[mid] >= head) hi = mid
      else lo = mid + 1
    }
    return this.times[last] - this.times[lo]
  }
}
