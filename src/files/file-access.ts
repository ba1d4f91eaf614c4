// Who may download a stored file: PocketBase's public/protected split plus Basalt's opt-in `fileAccess: "viewRule"`.
import type { Collection, FileField } from '../core/collections/types.ts'
import type { RecordData } from '../rules/request-info.ts'

export interface FilePolicy {
  /** The caller must be authenticated (protected fields). */
  needsAuth: boolean
  /** The caller must pass the collection's view rule (context `protectedFile`). */
  needsViewRule: boolean
  /** Cache-Control for the response: shared caches must not keep what depends on the caller. */
  cacheControl: string
}

export const PUBLIC_CACHE = 'max-age=2592000, stale-while-revalidate=86400'

/** The file field of `rec` that holds `filename`, if any (a file belongs to exactly one field). */
export function fileFieldOf(c: Collection, rec: RecordData, filename: string): FileField | undefined {
  return c.fields.find((f): f is FileField => {
    if (f.type !== 'file') return false
    const v = rec[f.name]
    return Array.isArray(v) ? v.includes(filename) : v === filename
  })
}

export function filePolicy(c: Collection, field: FileField): FilePolicy {
  if (field.protected) return { needsAuth: true, needsViewRule: true, cacheControl: 'private, no-store' }
  if (c.fileAccess === 'viewRule') return { needsAuth: false, needsViewRule: true, cacheControl: 'private, no-cache' }
  return { needsAuth: false, needsViewRule: false, cacheControl: PUBLIC_CACHE }
}
