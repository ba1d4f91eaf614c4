// PocketBase's rate-limit rule lookup (labels, audiences, route tags) as pure functions over settings.
import type { RateLimitRule } from '../settings/settings.ts'

/**
 * Collection-scoped tags per route (PocketBase `collectionPathRateLimit(…, tags)` in apis/record_*.go).
 * Order matters: the more specific tag first (`authWithPassword` before `auth`).
 */
const COLLECTION_ROUTE_TAGS: Record<string, string[]> = {
  'GET /api/collections/:collection/records': ['list'],
  'GET /api/collections/:collection/records/:id': ['view'],
  'POST /api/collections/:collection/records': ['create'],
  'PATCH /api/collections/:collection/records/:id': ['update'],
  'DELETE /api/collections/:collection/records/:id': ['delete'],
  'GET /api/collections/:collection/auth-methods': ['listAuthMethods'],
  'POST /api/collections/:collection/auth-refresh': ['authRefresh'],
  'POST /api/collections/:collection/auth-with-password': ['authWithPassword', 'auth'],
  'POST /api/collections/:collection/auth-with-oauth2': ['authWithOAuth2', 'auth'],
  'POST /api/collections/:collection/request-otp': ['requestOTP'],
  'POST /api/collections/:collection/auth-with-otp': ['authWithOTP', 'auth'],
  'POST /api/collections/:collection/request-password-reset': ['requestPasswordReset'],
  'POST /api/collections/:collection/confirm-password-reset': ['confirmPasswordReset'],
  'POST /api/collections/:collection/request-verification': ['requestVerification'],
  'POST /api/collections/:collection/confirm-verification': ['confirmVerification'],
  'POST /api/collections/:collection/request-email-change': ['requestEmailChange'],
  'POST /api/collections/:collection/confirm-email-change': ['confirmEmailChange'],
  'GET /api/files/:collection/:record/:filename': ['file'],
  // Basalt extensions: logins, so `*:auth` covers them as well.
  'POST /api/collections/:collection/auth-with-totp': ['authWithTOTP', 'auth'],
  'POST /api/collections/:collection/cookie-session': ['cookieSession', 'auth'],
}

/** Tags for a matched route (`METHOD pattern`), or null when the route is not collection-scoped. */
export function routeTags(method: string, pattern: string | undefined): string[] | null {
  return pattern ? COLLECTION_ROUTE_TAGS[`${method} ${pattern}`] ?? null : null
}

/**
 * Search labels in PocketBase's lookup order: `collection:tag`s, `*:tag`s, `METHOD /path`, `/path`
 * (prefix rules are tried along the way). `path` is the decoded URL path without the query.
 */
export function searchLabels(method: string, path: string, collectionName?: string, tags: string[] = []): string[] {
  const labels: string[] = []
  if (collectionName) for (const t of tags) labels.push(`${collectionName}:${t}`)
  for (const t of tags) labels.push(`*:${t}`)
  labels.push(`${method} ${path}`, path)
  return labels
}

/** Audiences a request may match: guests `''`/`@guest`, authenticated callers `''`/`@auth`. */
export function audiencesFor(authenticated: boolean): string[] {
  return authenticated ? ['', '@auth'] : ['', '@guest']
}

/**
 * First matching rule (PocketBase `RateLimitsConfig.FindRateLimitRule`): for each label in order, an
 * exact label match wins; otherwise a rule whose label ends with `/` and prefixes `label + "/"` (so
 * `/api/` covers `/api/x` and `POST /api/` covers `POST /api/x`). Ties go to the earlier rule.
 */
export function findRule(rules: readonly RateLimitRule[], labels: readonly string[], audiences: readonly string[]): RateLimitRule | null {
  const ok = (r: RateLimitRule) => audiences.includes(r.audience ?? '')
  const prefixRules = rules.filter((r) => r.label.endsWith('/'))
  for (const label of labels) {
    const exact = rules.find((r) => r.label === label && ok(r))
    if (exact) return exact
    const prefix = prefixRules.find((r) => (label + '/').startsWith(r.label) && ok(r))
    if (prefix) return prefix
  }
  return null
}

/**
 * The counter a rule uses. Collection rules count per collection and route (like PocketBase's
 * `collection.Id + pattern + tags`), so `*:create` gives every collection its own budget; the rule's
 * numbers are part of the key so an edited rule starts from zero. Only server-side values and the
 * client IP go in: nothing the client can vary at will (SECURITY.md L7).
 */
export function ruleKey(rule: RateLimitRule, ip: string, scope?: { collectionId: string; route: string }): string {
  const id = `${rule.label}|${rule.audience ?? ''}|${rule.maxRequests}/${rule.duration}`
  return scope && rule.label.includes(':') ? `g:${id}|${scope.collectionId}|${scope.route}|${ip}` : `g:${id}|${ip}`
}
