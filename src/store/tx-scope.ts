// Transaction scope: the transaction the current async call chain runs in, so nested calls join it.
import { AsyncLocalStorage } from 'node:async_hooks'
import type { Executor } from './types.ts'

/** Work that runs once the outermost transaction has committed (never on rollback). */
export type AfterCommit = () => void | Promise<void>

export interface TxScope {
  readonly tx: Executor
  /** The store that opened it: a scope only joins transactions of the same store. */
  readonly owner: object
  readonly afterCommit: AfterCommit[]
  /** Set once the transaction ended: timers or promises started inside must not write through it. */
  ended: boolean
}

const storage = new AsyncLocalStorage<TxScope>()

/** The open transaction of `owner` this call chain runs in, if any. */
export function openScope(owner: object): TxScope | undefined {
  const s = storage.getStore()
  return s && !s.ended && s.owner === owner ? s : undefined
}

/** Is this call chain inside an open transaction of any store? */
export function inTransaction(): boolean {
  const s = storage.getStore()
  return !!s && !s.ended
}

export function runInScope<T>(scope: TxScope, fn: () => Promise<T>): Promise<T> {
  return storage.run(scope, fn)
}

/**
 * Runs the after-commit callbacks outside the finished scope, in registration order. A failing callback
 * is reported and does not stop the others: the data is already durable.
 */
export async function runAfterCommit(scope: TxScope, onError: (err: unknown) => void): Promise<void> {
  for (const fn of scope.afterCommit) {
    try { await storage.exit(fn) } catch (err) { onError(err) }
  }
}

/** Registers `fn` to run after the current transaction of `owner` commits; outside one, runs it now. */
export function afterCommitOf(owner: object, fn: AfterCommit, onError: (err: unknown) => void): void {
  const s = openScope(owner)
  if (s) s.afterCommit.push(fn)
  else Promise.resolve().then(fn).catch(onError)
}
