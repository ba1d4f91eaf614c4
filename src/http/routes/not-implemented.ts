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

/** Empty today: every PocketBase endpoint is implemented. Kept for endpoints PocketBase adds later. */
export const NOT_IMPLEMENTED: readonly Missing[] = []

/** A table row (exported for the unit test of the 501 shape). */
export const notImplementedRow = row

/** The 501 for a request no route matched, when PocketBase has that endpoint; null otherwise (a 404). */
export function notImplemented(method: string, url: string, table: readonly Missing[] = NOT_IMPLEMENTED): ApiError | null {
  const path = url.split('?')[0]
  const hit = table.find((m) => m.method === method && m.path.test(path))
  if (!hit) return null
  return new ApiError(501, `Not implemented in Basalt yet: ${hit.feature} (${method} ${hit.pattern}). See docs/api.md.`)
}
