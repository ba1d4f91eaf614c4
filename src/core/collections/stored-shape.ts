// Stored collection JSON read defensively and normalised on write: `null` where a list or object belongs.
//
// PocketBase (Go) serialises empty slices and maps as `null` ("providers": null, "mimeTypes": null), and
// imports or hand edits may store anything. Every reader assumes the declared shape, so one bad value used
// to turn `GET /api/collections` into a 500. The defaults decide the shape: a stored value that is not an
// array where the default is one, or not an object where the default is one, becomes the default.
import type { AuthOptions, Field } from './types.ts'
import { defaultAuthOptions } from './auth-defaults.ts'
import { fieldKind } from './fields/index.ts'

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** `stored` shaped like `defaults`, recursively; keys the defaults do not know are kept as stored. */
export function shapeLike(stored: unknown, defaults: unknown): unknown {
  if (Array.isArray(defaults)) return Array.isArray(stored) ? stored : defaults
  if (isObject(defaults)) {
    if (!isObject(stored)) return defaults
    const out: Record<string, unknown> = { ...stored }
    for (const [k, d] of Object.entries(defaults)) out[k] = k in stored ? shapeLike(stored[k], d) : d
    return out
  }
  // Scalars: keep what is stored (rules may be null, durations may be any number), unless missing.
  return stored === undefined ? defaults : stored
}

export function normalizeAuthOptions(stored: unknown): AuthOptions {
  const auth = shapeLike(stored, defaultAuthOptions()) as AuthOptions
  // Provider entries are read as objects everywhere (findProvider, auth-methods, secrets merge).
  auth.oauth2.providers = auth.oauth2.providers.filter(isObject)
  auth.passwordAuth.identityFields = auth.passwordAuth.identityFields.filter((f) => typeof f === 'string')
  return auth
}

/** Fields as a list of objects, each with its kind's defaults filled in (which also turns `null` lists into lists). */
export function normalizeFields(stored: unknown): Field[] {
  if (!Array.isArray(stored)) return []
  return stored.filter(isObject).map((f) => {
    const kind = typeof f.type === 'string' ? fieldKind(f.type as Field['type']) : undefined
    if (!kind || typeof f.name !== 'string') return f as unknown as Field
    return { ...f, ...kind.withDefaults(f as never) } as Field
  })
}

export function storedIndexes(stored: unknown): string[] {
  return Array.isArray(stored) ? stored.filter((i): i is string => typeof i === 'string') : []
}

/** JSON.parse that answers `fallback` for text that is not JSON (a hand-edited row must not stop the server). */
export function parseStoredJson(text: unknown, fallback: unknown = null): unknown {
  if (typeof text !== 'string') return text ?? fallback
  try { return JSON.parse(text) } catch { return fallback }
}
