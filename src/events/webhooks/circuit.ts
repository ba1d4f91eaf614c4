// Circuit breaker per webhook endpoint, kept on its `_webhooks` row (`circuit`, `failures`, `openUntil`)
// so every node shares it and superusers can see and reset it.
//
// closed --threshold consecutive failures--> open (cool-down) --cool-down over--> half-open: one probe
// half-open --probe succeeds--> closed · --probe fails--> open, cool-down doubled (capped)
// While open (or while a probe is in flight) deliveries are deferred: they wait, they do not fail.
import { formatDate, type Clock } from '../../core/clock.ts'
import { sql } from '../../store/sql.ts'
import type { Store } from '../../store/types.ts'

export interface BreakerOptions {
  /** Consecutive failed attempts that open the circuit. */
  threshold: number
  /** First cool-down; doubled after each failed probe. */
  cooldownMs: number
  maxCooldownMs: number
}

export const DEFAULT_BREAKER: BreakerOptions = { threshold: 5, cooldownMs: 30_000, maxCooldownMs: 30 * 60_000 }

export type CircuitState = 'closed' | 'open' | 'half-open'

/** The breaker columns of a `_webhooks` row as read. */
export interface CircuitRow { id: string; circuit: string | null; failures: number | string | null; openUntil: string | null }

/** May an attempt go out now? `probe`: it is the half-open probe. Otherwise wait until `until` (epoch ms). */
export type Gate = { send: true; probe: boolean } | { send: false; until: number }

const stateOf = (r: CircuitRow): CircuitState => (r.circuit === 'open' || r.circuit === 'half-open' ? r.circuit : 'closed')
const untilOf = (r: CircuitRow): number => (r.openUntil ? Date.parse(r.openUntil.replace(' ', 'T')) || 0 : 0)

export class CircuitBreaker {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly o: BreakerOptions,
    /** How long a probe may be in flight before another attempt may probe (one attempt's time limit). */
    private readonly probeLeaseMs: number,
  ) {}

  async admit(r: CircuitRow): Promise<Gate> {
    const state = stateOf(r)
    if (state === 'closed') return { send: true, probe: false }
    const now = this.clock.now().getTime()
    const until = untilOf(r)
    // A probe in flight: look again soon (it may close the circuit long before its lease ends).
    if (now < until) return { send: false, until: state === 'open' ? until : Math.min(until, now + this.recheckMs()) }
    // Cool-down over (or a probe's lease lapsed): one attempt, across every node, becomes the probe.
    const { changes } = await this.store.run(sql`UPDATE "_webhooks" SET "circuit" = 'half-open', "openUntil" = ${formatDate(new Date(now + this.probeLeaseMs))}
      WHERE "id" = ${r.id} AND "circuit" = ${state} AND "openUntil" = ${r.openUntil ?? ''}`)
    return changes > 0 ? { send: true, probe: true } : { send: false, until: now + this.recheckMs() }
  }

  /** After an attempt: a success closes the circuit; failures count toward (re)opening it. */
  async record(r: CircuitRow, ok: boolean, probe: boolean): Promise<void> {
    if (ok) {
      // The happy path writes nothing: the row was closed with no failures when the attempt started.
      if (!probe && stateOf(r) === 'closed' && !Number(r.failures)) return
      await this.store.run(sql`UPDATE "_webhooks" SET "circuit" = 'closed', "failures" = 0, "openUntil" = '' WHERE "id" = ${r.id}`)
      return
    }
    await this.store.transaction(async (tx) => {
      const cur = await tx.get<CircuitRow>(sql`SELECT "id", "circuit", "failures", "openUntil" FROM "_webhooks" WHERE "id" = ${r.id}`)
      if (!cur) return
      const state = stateOf(cur)
      // An attempt that started before the circuit opened and failed after: already accounted for.
      if (!probe && state !== 'closed') return
      const failures = Number(cur.failures ?? 0) + 1
      if (failures < this.o.threshold) {
        await tx.run(sql`UPDATE "_webhooks" SET "failures" = ${failures} WHERE "id" = ${r.id}`)
        return
      }
      // failures − threshold = failed probes so far: the cool-down doubles with each.
      const cooldown = Math.min(this.o.maxCooldownMs, this.o.cooldownMs * 2 ** Math.min(30, failures - this.o.threshold))
      const until = formatDate(new Date(this.clock.now().getTime() + cooldown))
      await tx.run(sql`UPDATE "_webhooks" SET "circuit" = 'open', "failures" = ${failures}, "openUntil" = ${until} WHERE "id" = ${r.id}`)
    })
  }

  private recheckMs(): number {
    return Math.min(this.o.cooldownMs, 1000)
  }
}
