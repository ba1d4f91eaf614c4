// Custom routes (`app.routerAdd`): a route table that can be swapped at runtime (dev reloads) and its dispatcher.
import FindMyWay from 'find-my-way'
import type { HTTPMethod } from 'find-my-way'
import { RouteEvent } from './route-event.ts'

export type RouteHandler = (e: RouteEvent) => unknown | Promise<unknown>
/** A middleware is a handler that calls `await e.next()` to continue (or throws / answers to stop). */
export type Middleware = RouteHandler & { bodyLimit?: number }

interface StoredRoute extends RouteDef { routerPath: string }

export interface RouteDef {
  method: string
  /** PocketBase syntax `/api/hello/{name}` or `/files/{path...}`; `:name` and `*` also accepted. */
  path: string
  handler: RouteHandler
  middlewares: Middleware[]
  /** Owner tag: routes added by a hooks file are dropped when that file reloads. */
  owner?: string
}

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'])

/** `/a/{id}/b/{rest...}` → `/a/:id/b/*` (find-my-way syntax). */
export function toRouterPath(path: string): string {
  if (!path.startsWith('/')) throw new Error(`route path must start with "/": ${JSON.stringify(path)}`)
  return path.replace(/\{([A-Za-z_][\w]*)\.\.\.\}$/, '*').replace(/\{([A-Za-z_][\w]*)\}/g, ':$1')
}

export class RouteTable {
  private defs: StoredRoute[] = []
  private router = FindMyWay()

  add(def: RouteDef): void {
    const method = def.method.toUpperCase()
    if (!METHODS.has(method)) throw new Error(`unsupported route method ${JSON.stringify(def.method)}`)
    this.defs.push({ ...def, method, routerPath: toRouterPath(def.path) })
    this.rebuild()
  }

  /** Drops every route of `owner` (a reloaded hooks file). */
  removeOwner(owner: string): void {
    this.defs = this.defs.filter((d) => d.owner !== owner)
    this.rebuild()
  }

  get size(): number { return this.defs.length }

  find(method: string, path: string): { def: RouteDef; params: Record<string, string | undefined> } | null {
    const found = this.router.find(method as HTTPMethod, path)
    if (!found) return null
    const params = { ...found.params }
    if (params['*'] !== undefined) {
      // `{rest...}` names the wildcard.
      const name = /\{([A-Za-z_][\w]*)\.\.\.\}$/.exec((found.store as RouteDef).path)?.[1]
      if (name) params[name] = params['*']
    }
    return { def: found.store as RouteDef, params }
  }

  private rebuild(): void {
    const router = FindMyWay()
    for (const d of this.defs) router.on(d.method as HTTPMethod, d.routerPath, () => {}, d)
    this.router = router
  }
}

/** Runs middlewares then the handler; each middleware continues with `e.next()`. */
export async function runChain(def: RouteDef, e: RouteEvent): Promise<void> {
  const chain: RouteHandler[] = [...def.middlewares, def.handler]
  let i = 0
  const step = async (): Promise<void> => {
    const fn = chain[i++]
    if (!fn) return
    await fn(e)
  }
  e.next = step
  await step()
}
