// New-login alerts (PocketBase's `authAlert`): remember the devices a record logged in from, mail on a new one.
import { createHash } from 'node:crypto'
import type { Collection } from '../core/collections/types.ts'
import type { CollectionService } from '../core/collections/collection-service.ts'
import { AUTH_ORIGINS_NAME } from '../core/collections/system-collections.ts'
import { newRecordId } from '../core/ids.ts'
import type { RecordWrites } from '../core/records/record-writes.ts'
import { loadRecord } from '../core/records/record-io.ts'
import type { Mailer } from '../mail/mailer.ts'
import type { Logger } from '../observability/logger.ts'
import type { RecordData } from '../rules/request-info.ts'
import type { Settings } from '../settings/settings.ts'
import { sql } from '../store/sql.ts'
import type { Store } from '../store/types.ts'
import { renderTemplate } from './templates.ts'

/** PocketBase keeps the few most recent origins per record; older ones are forgotten. */
const MAX_ORIGINS = 5
const MAX_USER_AGENT = 300

export interface LoginOrigin { ip: string; userAgent: string }

export interface AuthAlertsDeps {
  store: Store
  collections: CollectionService
  writes: RecordWrites
  mailer: Mailer
  settings: () => Promise<Settings>
  logger: Logger
}

/**
 * The fingerprint is PocketBase's (MD5 of IP + User-Agent, the agent cut at 300 characters) so origins
 * imported from a PocketBase database keep matching. It is an identifier, not a secret.
 */
export function originFingerprint(o: LoginOrigin): string {
  return createHash('md5').update(o.ip + o.userAgent.slice(0, MAX_USER_AGENT)).digest('hex')
}

export class AuthAlerts {
  private readonly pending = new Set<Promise<void>>()

  constructor(private readonly deps: AuthAlertsDeps) {}

  /**
   * Called after a successful login (password, OTP, OAuth2; not refresh or impersonation). The very
   * first login of a record records its origin silently; a later login from an unknown origin mails the
   * record's address. Failures are logged and never fail the login (the mail goes out in the background,
   * where PocketBase makes the login wait for up to 15 s).
   */
  async noteLogin(c: Collection, record: RecordData, origin: LoginOrigin): Promise<void> {
    if (!c.auth?.authAlert.enabled) return
    try {
      const isNew = await this.rememberOrigin(c, String(record.id), originFingerprint(origin))
      if (isNew === 'new-origin' && typeof record.email === 'string' && record.email) this.mailInBackground(c, record, origin)
    } catch (err) {
      this.deps.logger.error({ err, collection: c.name }, 'auth alert: recording the login origin failed')
    }
  }

  /** Resolves when every alert mail started so far has been sent (tests; shutdown). */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending])
  }

  /** Upserts the origin (touching `updated`), keeps the newest MAX_ORIGINS; says whether it was unknown. */
  private async rememberOrigin(c: Collection, recordId: string, fingerprint: string): Promise<'first' | 'known' | 'new-origin'> {
    const origins = this.deps.collections.get(AUTH_ORIGINS_NAME)
    const d = this.deps.store.dialect
    return this.deps.store.transaction(async (tx) => {
      const rows = await tx.all<{ id: string; fingerprint: string }>(sql`SELECT "id", "fingerprint" FROM ${d.ident(AUTH_ORIGINS_NAME)}
        WHERE "collectionRef" = ${c.id} AND "recordRef" = ${recordId} ORDER BY "updated" DESC, "id" DESC`)
      const known = rows.find((r) => r.fingerprint === fingerprint)
      if (known) {
        const stored = await loadRecord(tx, origins, known.id, d)
        if (stored) await this.deps.writes.update(origins, stored, { ...stored })
      } else {
        await this.deps.writes.create(origins, { id: newRecordId(), collectionRef: c.id, recordRef: recordId, fingerprint })
      }
      const keep = new Set([known?.id, ...rows.filter((r) => r !== known).slice(0, MAX_ORIGINS - 1).map((r) => r.id)])
      for (const r of rows) {
        if (keep.has(r.id)) continue
        const stored = await loadRecord(tx, origins, r.id, d)
        if (stored) await this.deps.writes.delete(origins, stored)
      }
      return known ? 'known' : rows.length ? 'new-origin' : 'first'
    })
  }

  private mailInBackground(c: Collection, record: RecordData, origin: LoginOrigin): void {
    const p = (async () => {
      const { meta } = await this.deps.settings()
      const alertInfo = `${origin.ip}${origin.userAgent ? ` (${origin.userAgent.slice(0, MAX_USER_AGENT)})` : ''}`
      const mail = renderTemplate(c.auth!.authAlert.emailTemplate, { appName: meta.appName, appURL: meta.appURL, token: '', record, alertInfo })
      await this.deps.mailer.send({ to: String(record.email), ...mail })
    })()
      .catch((err) => this.deps.logger.error({ err, collection: c.name }, 'auth alert: sending the new-login mail failed'))
      .finally(() => this.pending.delete(p))
    this.pending.add(p)
  }
}
