// SequenceTracker: dedupe, gap detection and the single gap after a reconnect.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { SequenceTracker, type GapInfo } from './sequence-tracker.ts'

describe('SequenceTracker', () => {
  afterEach(() => { vi.useRealTimers() })
  const make = (settleMs = 1000) => {
    const gaps: GapInfo[] = []
    return { gaps, t: new SequenceTracker({ onGap: (g) => gaps.push(g), settleMs }) }
  }

  it('delivers new events once and drops duplicates and replays', () => {
    const { t, gaps } = make()
    expect([1, 2, 2, 1, 3].map((s) => t.accept('a', s, 0, false))).toEqual([true, true, false, false, true])
    expect(t.accept('a', 3, 0, true)).toBe(false) // heartbeat
    expect(gaps).toEqual([])
  })

  it('starts a baseline on first contact, then reports jumps, heartbeat jumps and reported losses', () => {
    const { t, gaps } = make()
    t.accept('a', 40, 3, true)
    expect(t.accept('a', 41, 3, false)).toBe(true)
    expect(gaps).toEqual([])
    expect(t.accept('a', 43, 3, false)).toBe(true)
    t.accept('a', 44, 3, true)
    t.accept('a', 45, 44, false)
    expect(gaps).toEqual([{ reason: 'seq', node: 'a' }, { reason: 'seq', node: 'a' }, { reason: 'lost', node: 'a' }])
  })

  it('after a reconnect reports one gap once every known peer spoke, absorbing their losses', () => {
    const { t, gaps } = make()
    t.accept('a', 1, 0, false)
    t.accept('b', 1, 0, false)
    t.reconnected()
    expect(gaps).toEqual([])
    t.accept('a', 9, 8, false) // a lost events during the same outage: no second gap
    expect(gaps).toEqual([])
    t.accept('b', 2, 0, true)
    expect(gaps).toEqual([{ reason: 'reconnect' }])
    t.accept('a', 11, 8, false) // strict again
    expect(gaps).toHaveLength(2)
  })

  it('reports the reconnect gap after settleMs if a peer stays silent, and at once with no peers', () => {
    vi.useFakeTimers()
    const { t, gaps } = make(500)
    t.reconnected('stale')
    expect(gaps).toEqual([{ reason: 'stale' }])
    t.accept('a', 1, 0, false)
    t.reconnected()
    vi.advanceTimersByTime(499)
    expect(gaps).toHaveLength(1)
    vi.advanceTimersByTime(1)
    expect(gaps).toEqual([{ reason: 'stale' }, { reason: 'reconnect' }])
  })

  it('forgets silent peers', () => {
    let now = 0
    const gaps: GapInfo[] = []
    const t = new SequenceTracker({ onGap: (g) => gaps.push(g), settleMs: 1000, now: () => now })
    t.accept('a', 5, 0, false)
    now = 10_000
    t.prune(5000)
    t.accept('a', 9, 0, false) // a new baseline, not a jump
    expect(gaps).toEqual([])
  })
})
