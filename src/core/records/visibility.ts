// What a caller may see of a record: never password/tokenKey, hidden fields for superusers only, guarded emails.
import type { Collection } from '../collections/types.ts'
import type { RecordData, RequestInfo } from '../../rules/request-info.ts'
import { isSuperuser } from '../../rules/request-info.ts'

const NEVER_EXPORTED = new Set(['password', 'tokenKey'])

export interface Viewer {
  superuser: boolean
  authId: string | null
  authCollectionId: string | null
  /** Record ids of `collection` whose email this viewer may see through the manageRule. */
  managed?: Set<string>
}

export function viewerOf(info: RequestInfo): Viewer {
  return {
    superuser: isSuperuser(info),
    authId: (info.auth?.record.id as string | undefined) ?? null,
    authCollectionId: info.auth?.collection.id ?? null,
  }
}

export function exportRecord(c: Collection, rec: RecordData, viewer: Viewer, opts: { alwaysEmail?: boolean } = {}): Record<string, unknown> {
  const out: Record<string, unknown> = { collectionId: c.id, collectionName: c.name }
  for (const f of c.fields) {
    if (NEVER_EXPORTED.has(f.name) && c.type === 'auth') continue
    if (f.type === 'password') continue
    if (f.hidden && !viewer.superuser) continue
    out[f.name] = rec[f.name]
  }
  if (c.type === 'auth' && !viewer.superuser && !opts.alwaysEmail && !rec.emailVisibility) {
    const own = viewer.authId === rec.id && viewer.authCollectionId === c.id
    if (!own && !viewer.managed?.has(rec.id as string)) delete out.email
  }
  return out
}
