// runInTransaction: one transaction for app code, retried on PostgreSQL serialization/deadlock failures.
import { inTransaction } from '../store/tx-scope.ts'
import type { Store } from '../store/types.ts'

/** serialization_failure, deadlock_detected: the whole transaction may simply be run again. */
const RETRYABLE = new Set(['40001', '40P01'])
const MAX_ATTEMPTS = 5

export async function runInTransaction<T>(store: Store, fn: () => Promise<T>): Promise<T> {
  // A nested call joins the outer transaction; only the outermost may retry (it owns the whole unit).
  if (inTransaction()) return store.transaction(() => fn())
  for (let attempt = 1; ; attempt++) {
    try {
      return await store.transaction(() => fn())
    } catch (err) {
      const code = (err as { code?: string })?.code
      if (!code || !RETRYABLE.has(code) || attempt >= MAX_ATTEMPTS) throw err
      await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt))
    }
  }
}
