// Security audit trail (`_audit` table): privileged actions such as impersonation, written and logged.
import type { Clock } from '../core/clock.ts'
import { formatDate } from '../core/clock.ts'
import { newRecordId } from '../core/ids.ts'
import { sql } from '../store/sql.ts'
import type { Executor } from '../store/types.ts'

export interface AuditEntry {
  action: string
  actorCollection: string
  actorId: string
  targetCollection: string
  targetId: string
  /** The client IP (src/http/client-ip.ts), not a forwarded header the client chose. */
  ip: string
}

export interface AuditRow extends AuditEntry { id: string; created: string }

/**
 * A plain table, not a collection: no record API can list or edit it, so an impersonated session cannot
 * erase its own trace. Rows are only ever inserted.
 */
export async function writeAudit(db: Executor, clock: Clock, entry: AuditEntry): Promise<AuditRow> {
  const row: AuditRow = { id: newRecordId(), created: formatDate(clock.now()), ...entry }
  await db.run(sql`INSERT INTO "_audit" ("id", "created", "action", "actorCollection", "actorId", "targetCollection", "targetId", "ip")
    VALUES (${row.id}, ${row.created}, ${row.action}, ${row.actorCollection}, ${row.actorId}, ${row.targetCollection}, ${row.targetId}, ${row.ip})`)
  return row
}

/** Newest first; for tests and operators (there is deliberately no HTTP route). */
export function listAudit(db: Executor, action?: string): Promise<AuditRow[]> {
  return db.all<AuditRow>(action
    ? sql`SELECT * FROM "_audit" WHERE "action" = ${action} ORDER BY "created" DESC, "id" DESC`
    : sql`SELECT * FROM "_audit" ORDER BY "created" DESC, "id" DESC`)
}
