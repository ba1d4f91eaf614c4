// Per-peer sequence bookkeeping for at-most-once fan-out: drops duplicates, turns detectable loss into gaps.
export type GapReason = 'reconnect' | 'stale' | 'seq' | 'lost'

export interface GapInfo {
  /**
   * `reconnect`/`stale`: our subscriber was down or deaf (`stale` = our own heartbeats stopped coming
   * back); `seq`: a peer's sequence jumped; `lost`: a peer reports it failed to send something.
   */
  reason: GapReason
  node?: string
}

interface Peer { seq: number; lost: number; seen: number; heard: boolean }

export interface SequenceTrackerOptions {
  onGap: (info: GapInfo) => void
  /** Longest wait after a reconnect for every known peer to speak before reporting the gap. */
  settleMs: number
  now?: () => number
}

/**
 * Each peer stamps its messages with `seq` (last event it published; events count +1, heartbeats
 * repeat it) and `lost` (highest seq it failed to hand to Redis). A gap is reported when either
 * moves in a way that means we missed an event. After our own reconnect everything is missed
 * anyway: we re-baseline every peer and report ONE gap once all known peers were heard from (or
 * `settleMs` passed), so losses on their side during the same outage do not cause a second one.
 */
export class SequenceTracker {
  private peers = new Map<string, Peer>()
  private settling: { reason: GapReason; timer: NodeJS.Timeout } | null = null

  constructor(private readonly opts: SequenceTrackerOptions) {}

  /** Records a message; true = an event not seen before (deliver it), false = heartbeat or duplicate. */
  accept(node: string, seq: number, lost: number, heartbeat: boolean): boolean {
    const now = (this.opts.now ?? Date.now)()
    const p = this.peers.get(node)
    if (!p) {
      // First contact: nothing to compare with (a peer's loss before we knew it is not detectable).
      this.peers.set(node, { seq, lost, seen: now, heard: true })
      this.maybeSettled()
      return !heartbeat
    }
    p.seen = now
    const fresh = !heartbeat && seq > p.seq
    if (!heartbeat && !fresh) return false // a resent or duplicated event
    if (!this.settling) {
      if (lost > p.lost) this.opts.onGap({ reason: 'lost', node })
      else if (heartbeat ? seq > p.seq : seq > p.seq + 1) this.opts.onGap({ reason: 'seq', node })
    }
    p.seq = Math.max(p.seq, seq)
    p.lost = Math.max(p.lost, lost)
    if (!p.heard) {
      p.heard = true
      this.maybeSettled()
    }
    return fresh
  }

  /** Our subscriber came back: whatever peers sent meanwhile is gone. Reports one gap, soon. */
  reconnected(reason: GapReason = 'reconnect'): void {
    if (this.settling) return
    for (const p of this.peers.values()) p.heard = false
    const timer = setTimeout(() => this.settle(), this.opts.settleMs)
    timer.unref()
    this.settling = { reason, timer }
    this.maybeSettled()
  }

  /** Forgets peers not heard from for `maxAgeMs` (restarted nodes come back under a new id). */
  prune(maxAgeMs: number): void {
    const now = (this.opts.now ?? Date.now)()
    for (const [node, p] of this.peers) if (now - p.seen > maxAgeMs) this.peers.delete(node)
  }

  dispose(): void {
    if (this.settling) clearTimeout(this.settling.timer)
    this.settling = null
  }

  private maybeSettled(): void {
    if (this.settling && [...this.peers.values()].every((p) => p.heard)) this.settle()
  }

  private settle(): void {
    if (!this.settling) return
    const { reason, timer } = this.settling
    clearTimeout(timer)
    this.settling = null
    this.opts.onGap({ reason })
  }
}
