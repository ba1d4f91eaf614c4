// Roles with inheritance: an in-memory graph of `_roles`, and the effective role names of an auth record.
import { ROLES_ID, ROLES_NAME, type Collection } from '../core/collections/types.ts'
import type { RequestInfo } from '../rules/request-info.ts'
import { sql } from '../store/sql.ts'
import type { Store } from '../store/types.ts'

interface RoleNode { name: string; inherits: string[] }

const REFRESH_MS = 5000

/**
 * Roles are few and read on every rule evaluation, so the whole graph is kept in memory and
 * reloaded when a `_roles` record changes (on this node or, through the broker, on another) and
 * every few seconds as a safety net. Effective roles are then computed synchronously.
 */
export class RoleService {
  private graph = new Map<string, RoleNode>()
  private timer: ReturnType<typeof setInterval> | undefined

  constructor(private readonly store: Store) {}

  async start(): Promise<void> {
    await this.reload()
    this.timer = setInterval(() => { this.reload().catch(() => {}) }, REFRESH_MS)
    this.timer.unref()
  }

  stop() { clearInterval(this.timer) }

  async reload(): Promise<void> {
    const rows = await this.store.all<{ id: string; name: string; inherits: string }>(sql`SELECT "id", "name", "inherits" FROM ${this.store.dialect.ident(ROLES_NAME)}`)
    const next = new Map<string, RoleNode>()
    for (const r of rows) next.set(r.id, { name: r.name, inherits: parseIds(r.inherits) })
    this.graph = next
  }

  /** Reload when a change event concerns the roles collection. */
  onChange(collectionId: string) {
    if (collectionId === ROLES_ID) this.reload().catch(() => {})
  }

  /** Names of the given roles and of every role they inherit, transitively (cycles are harmless). */
  effectiveNames(roleIds: unknown): string[] {
    const seen = new Set<string>()
    const stack = Array.isArray(roleIds) ? roleIds.filter((x): x is string => typeof x === 'string') : []
    while (stack.length) {
      const id = stack.pop()!
      if (seen.has(id)) continue
      seen.add(id)
      stack.push(...(this.graph.get(id)?.inherits ?? []))
    }
    return [...seen].map((id) => this.graph.get(id)?.name).filter((n): n is string => !!n).sort()
  }

  /** The request as rules see it: `@request.auth.roles` holds effective role names instead of ids. */
  forRules(info: RequestInfo): RequestInfo {
    const auth = info.auth
    if (!auth || !hasRolesField(auth.collection)) return info
    return { ...info, auth: { ...auth, record: { ...auth.record, roles: this.effectiveNames(auth.record.roles) } } }
  }
}

export function hasRolesField(c: Collection): boolean {
  return c.fields.some((f) => f.name === 'roles' && f.type === 'relation' && f.collectionId === ROLES_ID)
}

function parseIds(raw: unknown): string[] {
  if (Array.isArray(raw)) return raw as string[]
  try {
    const v = JSON.parse(String(raw ?? '[]'))
    return Array.isArray(v) ? v : []
  } catch { return [] }
}
