// SettingsService: settings stored in `_params`, cached briefly so every node sees a change within a second.
import { badRequest, hasErrors } from '../core/errors.ts'
import { formatDate, type Clock } from '../core/clock.ts'
import { sql } from '../store/sql.ts'
import type { Store } from '../store/types.ts'
import { defaultSettings, mergeSettings, type Settings } from './settings.ts'

const CACHE_MS = 1000
const ROW_ID = 'settings'

export class SettingsService {
  private cached: { value: Settings; at: number } | null = null
  private listeners: ((s: Settings) => void)[] = []

  /** The URL this process actually serves (after listen); the default `meta.appURL` when BASALT_APP_URL is unset. */
  private servedUrl: string | undefined

  constructor(private readonly store: Store, private readonly clock: Clock, private readonly env: NodeJS.ProcessEnv = process.env) {}

  /** Mail links then point at the port really served (`--http=…:8095`, or an ephemeral port) unless BASALT_APP_URL says otherwise. */
  setServedUrl(url: string): void {
    this.servedUrl = url
    this.cached = null
  }

  /**
   * The cached settings while they are fresh, else null — without a promise: the per-request hooks
   * (request log, rate limits) read settings on every request and fall back to get() about once a second.
   */
  peek(): Settings | null {
    return this.cached && Date.now() - this.cached.at < CACHE_MS ? this.cached.value : null
  }

  /** Current settings (stored values over defaults). */
  async get(): Promise<Settings> {
    const now = Date.now()
    if (this.cached && now - this.cached.at < CACHE_MS) return this.cached.value
    const row = await this.store.get<{ value: string }>(sql`SELECT "value" FROM "_params" WHERE "id" = ${ROW_ID}`)
    const stored = row ? JSON.parse(row.value) as Record<string, unknown> : {}
    // Stored sections are merged over the defaults so settings added in later versions get defaults.
    const env = this.servedUrl && !this.env.BASALT_APP_URL ? { ...this.env, BASALT_APP_URL: this.servedUrl } : this.env
    const value = mergeSettings(defaultSettings(env), stored).settings
    this.cached = { value, at: now }
    return value
  }

  /**
   * Applies a partial patch. Only values set through the API are stored (merged with earlier
   * patches); everything else keeps coming from the defaults and `BASALT_*` env vars, so changing
   * the environment later still takes effect and env secrets are not copied into the database.
   */
  async update(patch: Record<string, unknown>): Promise<Settings> {
    const { settings, errors } = mergeSettings(await this.get(), patch)
    if (hasErrors(errors)) throw badRequest('Failed to update the settings.', errors)
    const stamp = formatDate(this.clock.now())
    await this.store.transaction(async (tx) => {
      const row = await tx.get<{ value: string }>(sql`SELECT "value" FROM "_params" WHERE "id" = ${ROW_ID}`)
      const stored = row ? JSON.parse(row.value) as Record<string, Record<string, unknown>> : {}
      for (const [section, values] of Object.entries(patch)) {
        if (!values || typeof values !== 'object' || Array.isArray(values) || !(section in settings)) continue
        const applied = (settings as unknown as Record<string, Record<string, unknown>>)[section]
        const keep = { ...(stored[section] ?? {}) }
        for (const key of Object.keys(values)) if (key in applied) keep[key] = applied[key]
        stored[section] = keep
      }
      const text = JSON.stringify(stored)
      if (row) await tx.run(sql`UPDATE "_params" SET "value" = ${text}, "updated" = ${stamp} WHERE "id" = ${ROW_ID}`)
      else await tx.run(sql`INSERT INTO "_params" ("id", "value", "created", "updated") VALUES (${ROW_ID}, ${text}, ${stamp}, ${stamp})`)
    })
    this.cached = { value: settings, at: Date.now() }
    for (const l of this.listeners) l(settings)
    return settings
  }

  onChange(listener: (s: Settings) => void) { this.listeners.push(listener) }

  /** Forget the cache (another node changed the settings). */
  invalidate() { this.cached = null }
}
