// `_externalAuths` rows: the link from a provider account (collection, provider, providerId) to an auth record.
import type { Collection } from '../../core/collections/types.ts'
import { EXTERNAL_AUTHS_NAME } from '../../core/collections/system-collections.ts'
import type { CollectionService } from '../../core/collections/collection-service.ts'
import { formatDate } from '../../core/clock.ts'
import { newRecordId } from '../../core/ids.ts'
import { insertRecord, rowToRecord } from '../../core/records/record-io.ts'
import { sql } from '../../store/sql.ts'
import type { Executor } from '../../store/types.ts'
import type { RecordData } from '../../rules/request-info.ts'

export interface ExternalAuthLink { id: string; collectionRef: string; recordRef: string; provider: string; providerId: string }

export class ExternalAuths {
  constructor(private readonly collections: CollectionService) {}

  get collection(): Collection {
    return this.collections.get(EXTERNAL_AUTHS_NAME)
  }

  async find(db: Executor, c: Collection, provider: string, providerId: string): Promise<ExternalAuthLink | undefined> {
    return db.get<ExternalAuthLink>(sql`SELECT "id", "collectionRef", "recordRef", "provider", "providerId" FROM "_externalAuths"
      WHERE "collectionRef" = ${c.id} AND "provider" = ${provider} AND "providerId" = ${providerId} LIMIT 1`)
  }

  /** Inserts the link; returns the stored row (for the realtime event). Throws on a unique violation. */
  async insert(db: Executor, c: Collection, recordId: string, provider: string, providerId: string, now: Date, dialect: Parameters<typeof insertRecord>[3]): Promise<RecordData> {
    const ea = this.collection
    const at = formatDate(now)
    const rec: RecordData = { id: newRecordId(), collectionRef: c.id, recordRef: recordId, provider, providerId, created: at, updated: at }
    await insertRecord(db, ea, rec, dialect)
    return rowToRecord(ea, rec)
  }

  /** Every link of one record (used to drop them when an unverified account is claimed by its email owner). */
  async removeAllOf(db: Executor, c: Collection, recordId: string): Promise<RecordData[]> {
    const ea = this.collection
    const rows = await db.all(sql`SELECT * FROM "_externalAuths" WHERE "collectionRef" = ${c.id} AND "recordRef" = ${recordId}`)
    await db.run(sql`DELETE FROM "_externalAuths" WHERE "collectionRef" = ${c.id} AND "recordRef" = ${recordId}`)
    return rows.map((r) => rowToRecord(ea, r))
  }

  /** A link whose record is gone (records don't cascade to links) is dead weight: drop it. */
  async remove(db: Executor, id: string): Promise<void> {
    await db.run(sql`DELETE FROM "_externalAuths" WHERE "id" = ${id}`)
  }
}
