// Collection <-> PocketBase JSON: serialization without secrets, and parsing of client input.
import type { AuthOptions, Collection } from './types.ts'

const AUTH_KEYS = [
  'authRule', 'manageRule', 'passwordAuth', 'oauth2', 'mfa', 'otp', 'authAlert', 'authToken',
  'passwordResetToken', 'emailChangeToken', 'verificationToken', 'fileToken',
  'verificationTemplate', 'resetPasswordTemplate', 'confirmEmailChangeTemplate',
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
  }
  if (c.auth) {
    for (const key of AUTH_KEYS) {
      const value = c.auth[key]
      if (TOKEN_KEYS.has(key)) out[key] = { duration: (value as { duration: number }).duration }
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
    } else if (value && typeof value === 'object' && !Array.isArray(value)) {
      const merged = { ...(next[key] as object), ...(value as object) } as Record<string, unknown>
      if (TOKEN_KEYS.has(key)) {
        const secret = (value as { secret?: unknown }).secret
        merged.secret = typeof secret === 'string' && secret.length >= 30 ? secret : (next[key] as { secret: string }).secret
        merged.duration = Number(merged.duration) || (next[key] as { duration: number }).duration
      }
      next[key] = merged
    }
  }
  return next as unknown as AuthOptions
}
