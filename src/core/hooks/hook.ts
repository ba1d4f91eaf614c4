// Hook: an ordered handler chain with `e.next()` (PocketBase's tools/hook), tagged by collection, time-bounded.
import { ApiError } from '../errors.ts'

/** What every hook event carries: `next()` runs the rest of the chain and, at its end, the default action. */
export interface HookEvent {
  next(): Promise<void>
}

export type HookHandler<E extends HookEvent> = (e: E) => void | Promise<void>

export interface BindOptions {
  /** Unique per hook; binding the same id again replaces the handler (dev reloads rely on it). */
  id?: string
  /** Lower runs first; equal priorities run in registration order. Default 0. */
  priority?: number
  /** Collection names or ids this handler is for; empty = all. */
  tags?: readonly string[]
}

interface Bound<E extends HookEvent> { id: string; fn: HookHandler<E>; priority: number; tags: readonly string[]; seq: number }

/** Thrown when a handler runs past the hook timeout; a write it was part of rolls back. */
export class HookTimeoutError extends ApiError {
  constructor(readonly hookName: string, ms: number) {
    super(500, 'Something went wrong while processing your request.', {}, { cause: new Error(`hook ${hookName} did not finish within ${ms} ms`) })
  }
}

let seqCounter = 0

export class Hook<E extends HookEvent> {
  private handlers: Bound<E>[] = []

  constructor(readonly name: string, private readonly timeoutMs: () => number = () => 0) {}

  /** Adds a handler; returns its id (for `unbind`). */
  bind(fn: HookHandler<E>, opts: BindOptions = {}): string {
    const id = opts.id ?? `h${++seqCounter}`
    this.handlers = this.handlers.filter((h) => h.id !== id)
    this.handlers.push({ id, fn, priority: opts.priority ?? 0, tags: opts.tags ?? [], seq: ++seqCounter })
    this.handlers.sort((a, b) => a.priority - b.priority || a.seq - b.seq)
    return id
  }

  unbind(...ids: string[]): void {
    this.handlers = this.handlers.filter((h) => !ids.includes(h.id))
  }

  unbindAll(): void { this.handlers = [] }

  get length(): number { return this.handlers.length }

  /** Are there handlers that would run for these tags? (lets callers skip building an event). */
  has(tags: readonly string[] = []): boolean {
    return this.handlers.some((h) => matches(h, tags))
  }

  /**
   * Runs the matching handlers in order; each continues the chain with `await e.next()`. The default
   * `action` runs when the last handler calls next (or at once when none match). A handler that does not
   * call next ends the chain: the action does not run.
   */
  async trigger(e: Omit<E, 'next'> & Partial<Pick<E, 'next'>>, action: (e: E) => Promise<void> = async () => {}, tags: readonly string[] = []): Promise<void> {
    const chain = this.handlers.length ? this.handlers.filter((h) => matches(h, tags)) : []
    const event = e as E
    if (!chain.length) {
      event.next = () => action(event)
      return action(event)
    }
    const limit = this.timeoutMs()
    let index = 0
    const step = async (): Promise<void> => {
      const h = chain[index++]
      if (!h) return action(event)
      const run = Promise.resolve().then(() => h.fn(event))
      await (limit > 0 ? withTimeout(run, limit, this.name) : run)
    }
    event.next = step
    await step()
  }
}

function matches(h: { tags: readonly string[] }, tags: readonly string[]): boolean {
  return h.tags.length === 0 || h.tags.some((t) => tags.includes(t))
}

/**
 * Bounds one handler (including the chain it continues). The handler keeps running in the background
 * if it ignores the timeout; whatever it writes afterwards opens its own transaction.
 */
function withTimeout<T>(p: Promise<T>, ms: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new HookTimeoutError(name, ms)), ms) })
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
}
