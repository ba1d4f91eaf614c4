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

export { errorOf } from './errors'
