// The one SDK client of the dashboard: same origin as the page, superuser session kept in this origin's localStorage.
import PocketBase, { LocalAuthStore } from 'pocketbase'

/**
 * The API lives beside `/_/` (`new URL('..')` keeps a reverse-proxy path prefix). The auth token is kept by the
 * SDK's LocalAuthStore under its own key: localStorage is readable only by scripts of this exact origin (scheme,
 * host, port), never by other sites, and unlike a cookie it is never sent automatically, so no CSRF is possible.
 * The page's CSP (script-src 'self') keeps third-party scripts out of this origin.
 */
export const pb = new PocketBase(new URL('..', location.href).href.replace(/\/$/, ''), new LocalAuthStore('basalt_dashboard_auth'))
pb.autoCancellation(false)

export interface FieldError { code?: string; message?: string }
export interface ApiErrorShape { status?: number; message?: string; data?: Record<string, FieldError | unknown> }

/** The server's `{message, data}` from an SDK error (ClientResponseError keeps it in `response`). */
export function errorOf(err: unknown): { message: string; fields: Record<string, string> } {
  const e = err as { response?: ApiErrorShape; message?: string }
  const body = e?.response ?? {}
  const fields: Record<string, string> = {}
  flatten(body.data ?? {}, '', fields)
  return { message: body.message || e?.message || 'The request failed.', fields }
}

/** `{fields: {0: {name: {message}}}}` → `{'fields.0.name': message}`, so nested schema errors show per field. */
function flatten(data: Record<string, unknown>, prefix: string, out: Record<string, string>) {
  for (const [k, v] of Object.entries(data)) {
    if (!v || typeof v !== 'object') continue
    const o = v as Record<string, unknown>
    if (typeof o.message === 'string') out[prefix + k] = o.message
    else flatten(o, `${prefix}${k}.`, out)
  }
}
