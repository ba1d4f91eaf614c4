// Upgrades a stored password hash (an imported bcrypt hash, or argon2 with older parameters) after a successful login.
import type { Collection } from '../core/collections/types.ts'
import { sql } from '../store/sql.ts'
import type { Store } from '../store/types.ts'
import { hashPassword, needsRehash } from './passwords.ts'

/**
 * Rewrites only the `password` column, and only if it still holds the hash the login was checked
 * against (a concurrent password change wins). `tokenKey` and `updated` stay: this is a storage
 * detail, not a password change, so tokens issued before (e.g. by PocketBase) stay valid and no
 * realtime event or hook fires. Best effort: a failure leaves the old hash, which still verifies.
 */
export async function rehashIfNeeded(store: Store, c: Collection, record: Record<string, unknown>, plain: string): Promise<boolean> {
  const stored = String(record.password ?? '')
  if (!stored || !needsRehash(stored)) return false
  try {
    const fresh = await hashPassword(plain)
    const d = store.dialect
    const res = await store.run(sql`UPDATE ${d.ident(c.name)} SET ${d.ident('password')} = ${fresh} WHERE "id" = ${String(record.id)} AND ${d.ident('password')} = ${stored}`)
    return res.changes > 0
  } catch {
    return false
  }
}
