// Loads ./basalt_hooks/*.ts|js (each default-exports `(app) => void`), and reloads them on change with `--dev`.
import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { register } from 'tsx/esm/api'
import type { App } from '../app.ts'
import type { HookName } from '../core/hooks/registry.ts'
import { withOwner } from './app-api.ts'

/** A hook file failed to load: the message names the file, line and column when they are known. */
export class HookLoadError extends Error {}

const HOOK_FILE = /^(?!.*\.d\.[cm]?ts$)(?!.*\.test\.[cm]?[jt]s$)[^.].*\.(?:[cm]?ts|[cm]?js)$/

export function hookFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return []
  return fs.readdirSync(dir).filter((f) => HOOK_FILE.test(f)).sort().map((f) => path.join(dir, f))
}

export interface LoadedHooks {
  files: string[]
  /** Unbinds every hook and route the files registered (before a reload). */
  unload(): void
}

let generation = 0

/**
 * Imports each file in a fresh module namespace (so a reload re-evaluates it and its own imports)
 * and calls its default export with the app. Hooks bound and routes added by a file are remembered
 * so `unload()` can remove exactly those.
 */
export async function loadHookFiles(app: App, dir: string): Promise<LoadedHooks> {
  const files = hookFiles(dir)
  if (files.length) markAsEsm(dir)
  const api = register({ namespace: `basalt-hooks-${++generation}` })
  const bound: [HookName, string][] = []
  const crons: string[] = []
  const scoped = new Proxy(app, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver)
      if (typeof key === 'string' && /^on[A-Z]/.test(key) && key in target.hooks && typeof value === 'function') {
        return (...args: unknown[]) => {
          const id = (value as (...a: unknown[]) => string).apply(target, args)
          bound.push([key as HookName, id])
          return id
        }
      }
      // Cron jobs are unloaded with their file too (a reload must not keep a removed schedule firing).
      if (key === 'cronAdd' && typeof value === 'function') {
        return (id: string, ...rest: unknown[]) => { crons.push(id); return (value as (...a: unknown[]) => void).apply(target, [id, ...rest]) }
      }
      return value
    },
  })
  const unload = () => {
    for (const [name, id] of bound) app.hooks[name].unbind(id)
    for (const f of files) app.router.removeOwner(f)
    for (const id of crons) app.cronRemove(id)
  }
  try {
    for (const file of files) {
      let mod: { default?: unknown }
      try {
        mod = await api.import(pathToFileURL(file).href, import.meta.url)
      } catch (err) {
        throw new HookLoadError(describeFailure(file, err))
      }
      const setup = typeof mod.default === 'function' ? mod.default : (mod.default as { default?: unknown } | undefined)?.default
      if (typeof setup !== 'function') throw new HookLoadError(`${file}: the default export must be a function (app) => void`)
      try {
        await withOwner(file, () => setup(scoped))
      } catch (err) {
        throw new HookLoadError(describeFailure(file, err))
      }
    }
  } catch (err) {
    unload()
    throw err
  }
  return { files, unload }
}

/**
 * Hook files are ES modules (`export default`). Without a `"type": "module"` package.json above them,
 * .ts/.js files would load as CommonJS and errors would lose their line numbers, so the hooks
 * directory gets its own one-line package.json the first time it is loaded.
 */
function markAsEsm(dir: string): void {
  const pkg = path.join(dir, 'package.json')
  if (!fs.existsSync(pkg)) fs.writeFileSync(pkg, JSON.stringify({ type: 'module', private: true }, null, 2) + '\n')
}

/** `file:line:column: message`, the position taken from the error's stack or the compiler's message. */
export function describeFailure(file: string, err: unknown): string {
  const e = err as { message?: string; stack?: string }
  const message = (e?.message ?? String(err)).split('\n').find((l) => l.trim() && !/^Transform failed/.test(l))?.trim() ?? String(err)
  const escaped = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const where = new RegExp(`${escaped}(?:\\?[^:\\s]*)?:(\\d+):(\\d+)`).exec(`${e?.message ?? ''}\n${e?.stack ?? ''}`)
  const clean = message.replace(new RegExp(`^${escaped}:\\d+:\\d+:\\s*(ERROR:\\s*)?`), '')
  return where ? `${file}:${where[1]}:${where[2]}: ${clean}` : `${file}: ${clean}`
}

/**
 * `serve --dev`: reloads every hook file when one changes (debounced). Realtime connections and the
 * HTTP server stay up; a file that fails to load is reported and the app keeps running without it.
 */
export function watchHookFiles(app: App, dir: string, initial: LoadedHooks, onEvent: (msg: string, err?: unknown) => void): () => void {
  if (!fs.existsSync(dir)) return () => {}
  let current: LoadedHooks | null = initial
  let timer: NodeJS.Timeout | undefined
  let running = Promise.resolve()
  const reload = () => {
    running = running.then(async () => {
      current?.unload()
      current = null
      try {
        current = await loadHookFiles(app, dir)
        onEvent(`hooks reloaded (${current.files.length} files)`)
      } catch (err) {
        onEvent(`hooks reload failed: ${(err as Error).message}`, err)
      }
    })
  }
  const watcher = fs.watch(dir, { recursive: true }, () => {
    clearTimeout(timer)
    timer = setTimeout(reload, 100)
  })
  return () => { clearTimeout(timer); watcher.close() }
}
