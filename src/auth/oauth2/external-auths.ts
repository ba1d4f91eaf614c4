// `_externalAuths` rows: the link from a provider account (collection, provider, providerId) to an auth record.
import type { Collection } from '../../core/collections/types.ts'
import { EXTERNAL_AUTHS_NAME } from '../../core/collections/system-collections.ts'
import type { CollectionService } from '../../core/collections/collection-service.ts'
import { formatDate } from '../../core/clock.ts'
import { newRecordId } from '../../core/ids.ts'
import { rowToRecord } from '../../core/records/record-io.ts'
import type { RecordWrites } from '../../core/records/record-writes.ts'
import { sql } from '../../store/sql.ts'
import type { Executor, Store } from '../../store/types.ts'
import type { RecordData } from '../../rules/request-info.ts'

export interface ExternalAuthLink { id: string; collectionRef: string; recordRef: string; provider: string; providerId: string }

/**
 * `_externalAuthEmails` remembers which address (if any) a provider verified when a link was made, so
 * a later proof of that address by someone else (verification, password reset, email change, OTP) can
 * drop links that never proved it (account pre-hijacking, docs/auth.md).
 */
export async function migrateExternalAuthEmails(tx: Executor): Promise<void> {
  await tx.exec(`CREATE TABLE IF NOT EXISTS "_externalAuthEmails" (
    "id" TEXT PRIMARY KEY NOT NULL,
    "email" TEXT DEFAULT '' NOT NULL
  )`)
}

export class ExternalAuths {
  constructor(private readonly collections: CollectionService, private readonly store: Store, private readonly writes: RecordWrites) {}

  get collection(): Collection {
    return this.collections.get(EXTERNAL_AUTHS_NAME)
  }

  async find(db: Executor, c: Collection, provider: string, providerId: string): Promise<ExternalAuthLink | undefined> {
    return db.get<ExternalAuthLink>(sql`SELECT "id", "collectionRef", "recordRef", "provider", "providerId" FROM "_externalAuths"
      WHERE "collectionRef" = ${c.id} AND "provider" = ${provider} AND "providerId" = ${providerId} LIMIT 1`)
  }

  /**
   * Inserts the link through the record write path; `provenEmail` is the address the provider verified
   * for this account ('' when none). Throws on a unique violation (a concurrent first login).
   */
  async insert(c: Collection, recordId: string, provider: string, providerId: string, now: Date, provenEmail: string): Promise<RecordData> {
    const at = formatDate(now)
    const rec: RecordData = { id: newRecordId(), collectionRef: c.id, recordRef: recordId, provider, providerId, created: at, updated: at }
    return this.store.transaction(async (tx) => {
      const saved = await this.writes.create(this.collection, rec, { skipValidation: true })
      await tx.run(sql`INSERT INTO "_externalAuthEmails" ("id", "email") VALUES (${String(rec.id)}, ${provenEmail.toLowerCase()})`)
      return saved
    })
  }

  /** Drops every link of one record (an unverified account claimed by its email owner). */
  async removeAllOf(c: Collection, recordId: string): Promise<void> {
    for (const link of await this.linksOf(c, recordId)) await this.delete(link)
  }

  /** Someone proved `email` for this record: links that did not prove that same address go. */
  async removeUnproven(c: Collection, recordId: string, email: string): Promise<void> {
    const address = email.toLowerCase()
    for (const link of await this.linksOf(c, recordId)) {
      const proof = await this.store.get<{ email: string }>(sql`SELECT "email" FROM "_externalAuthEmails" WHERE "id" = ${String(link.id)}`)
      if (!address || proof?.email !== address) await this.delete(link)
    }
  }

  /** A link whose record is gone (records don't cascade to links) is dead weight: drop it. */
  async remove(id: string): Promise<void> {
    const row = await this.store.get(sql`SELECT * FROM "_externalAuths" WHERE "id" = ${id}`)
    if (row) await this.delete(rowToRecord(this.collection, row))
  }

  private async linksOf(c: Collection, recordId: string): Promise<RecordData[]> {
    const rows = await this.store.all(sql`SELECT * FROM "_externalAuths" WHERE "collectionRef" = ${c.id} AND "recordRef" = ${recordId}`)
    return rows.map((r) => rowToRecord(this.collection, r))
  }

  private async delete(link: RecordData): Promise<void> {
    await this.store.transaction(async (tx) => {
      await this.writes.delete(this.collection, link)
      await tx.run(sql`DELETE FROM "_externalAuthEmails" WHERE "id" = ${String(link.id)}`)
    })
  }
}
