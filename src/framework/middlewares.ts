// Route middlewares for custom routes: auth requirements, a rule check, a body limit (PocketBase's $apis.*).
import { SUPERUSERS_NAME } from '../core/collections/types.ts'
import { forbidden, unauthorized } from '../core/errors.ts'
import type { Middleware } from './router.ts'

/** Any authenticated record (optionally only of these auth collections, by name or id). */
export function requireAuth(...collections: string[]): Middleware {
  return async (e) => {
    if (!e.auth) throw unauthorized('The request requires valid record authorization token.')
    const c = e.auth.collection()
    if (collections.length && !collections.includes(c.name) && !collections.includes(c.id)) {
      throw forbidden('The authorized record is not allowed to perform this action.')
    }
    await e.next()
  }
}

export function requireSuperuser(): Middleware {
  return requireAuth(SUPERUSERS_NAME)
}

/** Only guests (e.g. a sign-up page that makes no sense when signed in). */
export function requireGuestOnly(): Middleware {
  return async (e) => {
    if (e.auth) throw badAuthState()
    await e.next()
  }
}

/**
 * The request must satisfy `expr`, a rule over `@request.*` / `@collection.*` (e.g.
 * `@request.auth.verified = true && @request.headers.x_tenant != ""`); guests get 401, others 403.
 */
export function requireRule(expr: string): Middleware {
  return async (e) => {
    if (!(await e.app.checkRule(expr, e.requestInfo()))) {
      throw e.auth ? forbidden() : unauthorized('The request requires valid record authorization token.')
    }
    await e.next()
  }
}

/** Caps this route's request body (bytes); larger bodies get 413 before they are read into memory. */
export function bodyLimit(bytes: number): Middleware {
  if (!Number.isInteger(bytes) || bytes <= 0) throw new Error('bodyLimit(bytes): a positive integer')
  const mw: Middleware = async (e) => { await e.next() }
  mw.bodyLimit = bytes
  return mw
}

function badAuthState() {
  return forbidden('The request can be accessed only by guests.')
}
