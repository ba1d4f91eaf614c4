// First-run installer: while no superuser exists, `basalt serve` prints a one-time link `/_/#/pbinstal/<token>`;
// that token, sent as the Authorization of POST /api/collections/_superusers/records, may create the first superuser.
import { createHash, randomBytes } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { App } from '../../app.ts'
import { tokenFromHeader } from '../../auth/tokens.ts'
import { SUPERUSERS_ID, SUPERUSERS_NAME } from '../../core/collections/types.ts'
import { unauthorized } from '../../core/errors.ts'
import { sql } from '../../store/sql.ts'

export const INSTALLER_TTL_MS = 30 * 60_000
/** Recognisable, so a stale one gets a clear 401 instead of being taken for a guest (then a puzzling 403). */
const PREFIX = 'pbinstal_'

const digest = (token: string) => createHash('sha256').update(token).digest('hex')

/**
 * Live installer tokens of one app, kept in this process's memory only (hashed): a restart forgets them and prints
 * a new link; in a cluster the link works on the node that printed it. Single use: burned when a request takes it,
 * given back only if that request failed (a mistyped password must not kill the link).
 */
export class InstallerTokens {
  private live = new Map<string, number>()
  constructor(private now: () => number = Date.now) {}

  issue(): string {
    const token = PREFIX + randomBytes(32).toString('base64url')
    this.live.set(digest(token), this.now() + INSTALLER_TTL_MS)
    return token
  }
  /** Takes the token if live, returning its expiry: once per token, so concurrent requests cannot both win. */
  take(token: string): number | null {
    const key = digest(token)
    const expires = this.live.get(key)
    this.live.delete(key)
    return expires !== undefined && expires > this.now() ? expires : null
  }
  giveBack(token: string, expires: number): void { this.live.set(digest(token), expires) }
  clear(): void { this.live.clear() }
}

const registry = new WeakMap<App, InstallerTokens>()
export function installerTokens(app: App): InstallerTokens {
  let t = registry.get(app)
  if (!t) registry.set(app, (t = new InstallerTokens(() => app.clock.now().getTime())))
  return t
}

async function hasSuperuser(app: App): Promise<boolean> {
  const row = await app.store.get<{ n: number | string }>(sql`SELECT COUNT(*) AS "n" FROM "_superusers"`)
  return Number(row?.n ?? 0) > 0
}

/** The installer link to print, or null when a superuser exists already. */
export async function installerLink(app: App, url: string): Promise<string | null> {
  if (await hasSuperuser(app)) return null
  return `${url.replace(/\/$/, '')}/_/#/pbinstal/${installerTokens(app).issue()}`
}

const taken = new WeakMap<FastifyRequest, { token: string; expires: number }>()

/** Root-wide, right after the auth context: turns a live installer token into superuser auth for that one POST. */
export const installerAuth = fp(async (f: FastifyInstance, { app }: { app: App }) => {
  const tokens = installerTokens(app)
  const paths = new Set([`/api/collections/${SUPERUSERS_NAME}/records`, `/api/collections/${SUPERUSERS_ID}/records`])
  f.addHook('onRequest', async (req) => {
    const header = req.headers.authorization
    // On the hot path: one substring test for every request that is not an installer call.
    if (typeof header !== 'string' || !header.includes(PREFIX)) return
    const token = tokenFromHeader(header)
    if (!token?.startsWith(PREFIX)) return
    const expires = req.method === 'POST' && paths.has(req.url.split('?', 1)[0]) ? tokens.take(token) : null
    if (expires === null) {
      throw unauthorized('The installer link is invalid, expired or already used.')
    }
    if (await hasSuperuser(app)) {
      tokens.clear() // installed already (e.g. `basalt superuser upsert`): every installer link is dead
      throw unauthorized('The installer link is invalid, expired or already used.')
    }
    taken.set(req, { token, expires })
    req.auth = { collection: app.collections.get(SUPERUSERS_NAME), record: { id: '', email: 'installer' } }
  })
  f.addHook('onResponse', async (req, reply) => {
    const t = taken.get(req)
    if (t && reply.statusCode >= 400 && !(await hasSuperuser(app))) tokens.giveBack(t.token, t.expires)
  })
})
