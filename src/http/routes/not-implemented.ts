// PocketBase endpoints Basalt does not implement yet: a PocketBase-shaped 501 instead of a bare 404.
//
// Consulted only by the not-found handler (routes/fallback.ts), after every real and custom route failed to match: the moment a
// module registers one of these endpoints, it wins and its row here is simply never reached (keep the
// table in sync with docs/api.md "Not implemented yet").
import { ApiError } from '../../core/errors.ts'

interface Missing { method: string; pattern: string; path: RegExp; feature: string }

const SEG = '[^/]+'
const row = (method: string, path: string, feature: string): Missing =>
  ({ method, pattern: path.replaceAll(':x', ':id'), path: new RegExp(`^${path.replaceAll(':x', SEG)}/?$`), feature })

export const NOT_IMPLEMENTED: readonly Missing[] = [
  row('POST', '/api/settings/apple/generate-client-secret', 'Apple OAuth2 client secret generation'),
]

/** The 501 for a request no route matched, when PocketBase has that endpoint; null otherwise (a 404). */
export function notImplemented(method: string, url: string): ApiError | null {
  const path = url.split('?')[0]
  const hit = NOT_IMPLEMENTED.find((m) => m.method === method && m.path.test(path))
  if (!hit) return null
  return new ApiError(501, `Not implemented in Basalt yet: ${hit.feature} (${method} ${hit.pattern}). See docs/api.md.`)
}
