// Collection <-> PocketBase JSON: serialization without secrets, and parsing of client input.
import type { AuthOptions, Collection, CookieSessionOptions } from './types.ts'
import { defaultCookieSessionOptions } from './auth-defaults.ts'

const AUTH_KEYS = [
  'authRule', 'manageRule', 'passwordAuth', 'oauth2', 'mfa', 'otp', 'authAlert', 'authToken',
  'passwordResetToken', 'emailChangeToken', 'verificationToken', 'fileToken',
  'verificationTemplate', 'resetPasswordTemplate', 'confirmEmailChangeTemplate', 'cookieSessions',
] as const
const TOKEN_KEYS = new Set(['authToken', 'passwordResetToken', 'emailChangeToken', 'verificationToken', 'fileToken'])

/** PocketBase's collection JSON. Token secrets and OAuth2 client secrets are never included. */
export function collectionToJson(c: Collection): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: c.id, name: c.name, type: c.type, system: c.system,
    listRule: c.listRule, viewRule: c.viewRule, createRule: c.createRule,
    updateRule: c.updateRule, deleteRule: c.deleteRule,
    fields: c.fields.map((f) => ({ ...f })), indexes: [...c.indexes],
    created: c.created, updated: c.updated,
    fileAccess: c.fileAccess ?? 'public',
  }
  if (c.type === 'view') out.viewQuery = c.viewQuery ?? ''
  if (c.auth) {
    for (const key of AUTH_KEYS) {
      const value = c.auth[key]
      if (key === 'cookieSessions') out[key] = mergeCookieSessions(value as CookieSessionOptions | undefined, {})
      else if (TOKEN_KEYS.has(key)) out[key] = { duration: (value as { duration: number }).duration }
      else if (key === 'oauth2') {
        const o = value as AuthOptions['oauth2']
        out[key] = { ...o, providers: o.providers.map((p) => ({ ...(p as object), clientSecret: '' })) }
      } else out[key] = structuredClone(value)
    }
  }
  return out
}

/** Merges client-supplied auth options over the current ones; secrets are kept unless a new valid one is given. */
export function mergeAuthOptions(current: AuthOptions, input: Record<string, unknown>): AuthOptions {
  const next = structuredClone(current) as unknown as Record<string, unknown>
  for (const key of AUTH_KEYS) {
    if (!(key in input)) continue
    const value = input[key]
    if (key === 'authRule' || key === 'manageRule') {
      next[key] = value === null || typeof value === 'string' ? value : next[key]
    } else if (key === 'cookieSessions') {
      if (value && typeof value === 'object' && !Array.isArray(value)) next[key] = mergeCookieSessions(next[key] as CookieSessionOptions | undefined, value as Record<string, unknown>)
    } else if (value && typeof value === 'object' && !Array.isArray(value)) {
      const merged = { ...(next[key] as object), ...(value as object) } as Record<string, unknown>
      if (TOKEN_KEYS.has(key)) {
        const secret = (value as { secret?: unknown }).secret
        merged.secret = typeof secret === 'string' && secret.length >= 30 ? secret : (next[key] as { secret: string }).secret
        merged.duration = Number(merged.duration) || (next[key] as { duration: number }).duration
      }
      if (key === 'oauth2') merged.providers = mergeProviderSecrets((next[key] as AuthOptions['oauth2']).providers, merged.providers)
      next[key] = merged
    }
  }
  return next as unknown as AuthOptions
}

const MAX_SESSION_SECONDS = 365 * 24 * 3600

/**
 * Cookie-session options (Basalt extension) over the defaults: only booleans and whole seconds in
 * [60 s, 1 year] are taken, anything else keeps the current value, so a stored collection is never invalid.
 */
export function mergeCookieSessions(current: Partial<CookieSessionOptions> | undefined, input: Record<string, unknown>): CookieSessionOptions {
  const out = { ...defaultCookieSessionOptions(), ...current }
  for (const k of ['enabled', 'secure'] as const) if (typeof input[k] === 'boolean') out[k] = input[k] as boolean
  for (const k of ['accessDuration', 'refreshDuration', 'maxDuration'] as const) {
    const v = input[k]
    if (typeof v === 'number' && Number.isInteger(v) && v >= 60 && v <= MAX_SESSION_SECONDS) out[k] = v
  }
  return out
}

/**
 * Clients read providers with `clientSecret: ""` (never serialized), so a read-modify-write must not
 * wipe them: an entry without a new secret keeps the stored secret of the provider with that name.
 */
function mergeProviderSecrets(current: unknown[], input: unknown): unknown[] {
  if (!Array.isArray(input)) return current
  const secrets = new Map<string, string>()
  for (const p of current) {
    const r = p as { name?: unknown; clientSecret?: unknown }
    if (r && typeof r.name === 'string' && typeof r.clientSecret === 'string') secrets.set(r.name, r.clientSecret)
  }
  return input.filter((p) => p && typeof p === 'object' && !Array.isArray(p)).map((p) => {
    const r = { ...(p as Record<string, unknown>) }
    if (typeof r.clientSecret !== 'string' || r.clientSecret === '') r.clientSecret = secrets.get(String(r.name)) ?? ''
    return r
  })
}
