// Brute-force guard for auth endpoints: failed attempts per identity and per client IP, checked before verifying.
import { createHash } from 'node:crypto'
import type { RateLimitStore } from './store.ts'

export interface BruteForceLimits {
  /** Failed attempts per (auth collection, normalized identity) per window; 0 = no identity limit. */
  perIdentity: number
  /** Failed attempts per client IP (IPv6: per /64) across every auth endpoint per window; 0 = no IP limit. */
  perIp: number
  /** Fixed window length in seconds, counted from the first failure. */
  windowSeconds: number
}

/**
 * Defaults (docs: brute-force protection): 10 failures per identity and 50 per IP within 5 minutes.
 * 10 leaves room for typos while capping an online guesser at ~2,900 passwords/day per account; 50 lets a
 * NAT of honest users mistype without locking each other out while still stopping credential stuffing
 * from one address. Only failures count, so normal logins are never slowed.
 */
export const DEFAULT_BRUTE_FORCE: BruteForceLimits = { perIdentity: 10, perIp: 50, windowSeconds: 300 }

const MAX_IDENTITY_LENGTH = 255

/** Lower-case, trimmed, NFKC: `Ann@X.com ` and `ann@x.com` share one counter. */
export function normalizeIdentity(value: unknown): string | null {
  if (typeof value !== 'string') return null
  const v = value.normalize('NFKC').trim().toLowerCase()
  return v && v.length <= MAX_IDENTITY_LENGTH ? v : null
}

/** The identity a failure is charged to: a scope fixed by the server (collection id) plus the identity. */
export interface Identity { scope: string; value: string }

/** A reserved attempt; settle it with `succeeded`, `failed` or `neutral` once the outcome is known. */
export interface Attempt { keys: string[]; identityKey: string | null; ipKey: string | null }

export type BeginResult = { ok: true; attempt: Attempt } | { ok: false; retryAfter: number }

/**
 * Every attempt is counted as a failure *before* the password/code is checked and given back on success.
 * So N parallel guesses can never all be verified: at most `perIdentity` of them reach the hash check,
 * the rest get 429 without any verification (no password oracle while locked, SECURITY.md F5/M9).
 */
export class BruteForceGuard {
  constructor(private readonly store: RateLimitStore, readonly limits: BruteForceLimits = DEFAULT_BRUTE_FORCE) {}

  get enabled(): boolean { return this.limits.windowSeconds > 0 && (this.limits.perIdentity > 0 || this.limits.perIp > 0) }

  /** `ipKey` null = no per-IP budget for this request (an excluded IP); the identity is still counted. */
  async begin(ipKey: string | null, identity: Identity | null): Promise<BeginResult> {
    const windowMs = this.limits.windowSeconds * 1000
    const checks: [string, number][] = []
    const ipBucket = ipKey !== null && this.limits.perIp > 0 ? `bf:ip:${ipKey}` : null
    if (ipBucket) checks.push([ipBucket, this.limits.perIp])
    const idKey = identity && this.limits.perIdentity > 0 ? identityKey(identity) : null
    if (idKey) checks.push([idKey, this.limits.perIdentity])
    const states = await Promise.all(checks.map(([key]) => this.store.hit(key, windowMs)))
    let retryMs = 0
    states.forEach((s, i) => { if (s.count > checks[i][1]) retryMs = Math.max(retryMs, s.resetMs) })
    if (retryMs > 0) {
      // A rejected request verified nothing, so it does not count (the window is not extended either).
      await Promise.all(checks.map(([key]) => this.store.undo(key)))
      return { ok: false, retryAfter: Math.max(1, Math.ceil(retryMs / 1000)) }
    }
    return { ok: true, attempt: { keys: checks.map(([k]) => k), identityKey: idKey, ipKey: ipBucket } }
  }

  /** Credentials were right: the identity starts over; the IP only gets this attempt back (no reset). */
  async succeeded(a: Attempt): Promise<void> {
    await Promise.all([a.identityKey && this.store.reset(a.identityKey), a.ipKey && this.store.undo(a.ipKey)])
  }

  /** The reservation stays: it was a failure. */
  async failed(_a: Attempt): Promise<void> {}

  /** Neither success nor the client's fault (e.g. a 5xx): give the attempt back everywhere. */
  async neutral(a: Attempt): Promise<void> {
    await Promise.all(a.keys.map((k) => this.store.undo(k)))
  }
}

/** Hashed so keys have a fixed size and no client bytes reach Redis key space verbatim. */
function identityKey(id: Identity): string {
  const digest = createHash('sha256').update(`${id.scope}\0${id.value}`).digest('hex').slice(0, 32)
  return `bf:id:${digest}`
}
