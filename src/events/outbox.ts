// Transactional outbox (`_events`): every record change and custom event, written in the writer's transaction.
import { randomUUID } from 'node:crypto'
import { formatDate, type Clock } from '../core/clock.ts'
import { sql } from '../store/sql.ts'
import type { SqlDialect } from '../store/dialects/types.ts'
import type { Executor, Store } from '../store/types.ts'

/** One outbox row as consumers (realtime, webhooks, brokers) read it. */
export interface OutboxEvent {
  /** Commit-ordered position in the outbox (consumers keep a cursor of it). */
  seq: number
  /** Stable event id: the same on every delivery attempt (idempotency key for receivers). */
  id: string
  /** `record.create` | `record.update` | `record.delete` | any custom type emitted by app code. */
  type: string
  collectionId: string
  collectionName: string
  /** The record id for record events (ordering key), or the custom event's subject. */
  subject: string
  data: unknown
  created: string
}

export interface AppendInput {
  type: string
  collectionId?: string
  collectionName?: string
  subject?: string
  data: unknown
}

export async function migrateOutboxTables(tx: Executor, dialect: SqlDialect): Promise<void> {
  // On PostgreSQL `seq` values are handed out before commit, so a reader could pass a row whose
  // transaction commits later; `txid` lets readers stop below the oldest transaction still running.
  const seq = dialect.name === 'postgres' ? '"seq" BIGSERIAL PRIMARY KEY' : '"seq" INTEGER PRIMARY KEY AUTOINCREMENT'
  const txid = dialect.name === 'postgres' ? ',\n    "txid" xid8 DEFAULT pg_current_xact_id() NOT NULL' : ''
  await tx.exec(`CREATE TABLE IF NOT EXISTS "_events" (
    ${seq},
    "id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "collectionRef" TEXT DEFAULT '' NOT NULL,
    "collectionName" TEXT DEFAULT '' NOT NULL,
    "subject" TEXT DEFAULT '' NOT NULL,
    "data" TEXT DEFAULT 'null' NOT NULL,
    "created" TEXT DEFAULT '' NOT NULL${txid}
  )`)
  await tx.exec(`CREATE INDEX IF NOT EXISTS "_events_created_idx" ON "_events" ("created")`)
  await tx.exec(`CREATE TABLE IF NOT EXISTS "_eventCursors" (
    "id" TEXT PRIMARY KEY NOT NULL,
    "seq" BIGINT DEFAULT 0 NOT NULL,
    "updated" TEXT DEFAULT '' NOT NULL
  )`)
  // One holder per event sink across the cluster (src/events/dispatcher.ts); expiring, renewed while running.
  await tx.exec(`CREATE TABLE IF NOT EXISTS "_eventLeases" (
    "id" TEXT PRIMARY KEY NOT NULL,
    "holder" TEXT DEFAULT '' NOT NULL,
    "expires" TEXT DEFAULT '' NOT NULL
  )`)
}

interface EventRow { seq: number | string; id: string; type: string; collectionRef: string; collectionName: string; subject: string; data: string; created: string }

function fromRow(r: EventRow): OutboxEvent {
  return { seq: Number(r.seq), id: r.id, type: r.type, collectionId: r.collectionRef, collectionName: r.collectionName, subject: r.subject, data: JSON.parse(r.data), created: r.created }
}

export class Outbox {
  private readonly listeners = new Set<() => void>()

  /** @param enabled false (BASALT_EVENTS_OUTBOX=false): appends are dropped — nothing is recorded or delivered. */
  constructor(private readonly store: Store, private readonly clock: Clock, private readonly enabled = true) {}

  /**
   * Appends an event inside the caller's transaction (joins it, or opens one): it commits with the
   * change it describes or not at all. Listeners are woken after commit.
   */
  async append(input: AppendInput): Promise<Omit<OutboxEvent, 'seq'>> {
    const event = {
      id: randomUUID(), type: input.type, collectionId: input.collectionId ?? '', collectionName: input.collectionName ?? '',
      subject: input.subject ?? '', data: input.data ?? null, created: formatDate(this.clock.now()),
    }
    if (!this.enabled) return event
    await this.store.transaction((tx) => tx.run(sql`INSERT INTO "_events" ("id", "type", "collectionRef", "collectionName", "subject", "data", "created")
      VALUES (${event.id}, ${event.type}, ${event.collectionId}, ${event.collectionName}, ${event.subject}, ${JSON.stringify(event.data)}, ${event.created})`))
    if (this.listeners.size) this.store.afterCommit(() => { for (const l of this.listeners) l() })
    return event
  }

  /** Called (in-process) after a transaction that appended events committed: wake-up for dispatchers. */
  onAppend(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /**
   * Committed events after `afterSeq`, oldest first. On PostgreSQL only events below every transaction
   * still in flight are returned, so a later read never finds an older seq appear behind the cursor.
   */
  async read(afterSeq: number, limit = 100): Promise<OutboxEvent[]> {
    const visible = this.store.dialect.name === 'postgres' ? sql` AND "txid" < pg_snapshot_xmin(pg_current_snapshot())` : sql.empty
    const rows = await this.store.all<EventRow>(sql`SELECT "seq", "id", "type", "collectionRef", "collectionName", "subject", "data", "created"
      FROM "_events" WHERE "seq" > ${afterSeq}${visible} ORDER BY "seq" LIMIT ${limit}`)
    return rows.map(fromRow)
  }

  async get(id: string): Promise<OutboxEvent | undefined> {
    const row = await this.store.get<EventRow>(sql`SELECT * FROM "_events" WHERE "id" = ${id}`)
    return row ? fromRow(row) : undefined
  }

  /** A consumer's position (0 for a new consumer: it starts from the oldest event kept). */
  async cursor(consumer: string): Promise<number> {
    const row = await this.store.get<{ seq: number | string }>(sql`SELECT "seq" FROM "_eventCursors" WHERE "id" = ${consumer}`)
    return row ? Number(row.seq) : 0
  }

  /** Moves a consumer's cursor forward (never back, so a slow node cannot rewind a faster one). */
  async advance(consumer: string, seq: number): Promise<void> {
    const now = formatDate(this.clock.now())
    await this.store.transaction(async (tx) => {
      const { changes } = await tx.run(sql`UPDATE "_eventCursors" SET "seq" = ${seq}, "updated" = ${now} WHERE "id" = ${consumer} AND "seq" < ${seq}`)
      if (!changes) {
        const exists = await tx.get(sql`SELECT 1 AS "x" FROM "_eventCursors" WHERE "id" = ${consumer}`)
        if (!exists) await tx.run(sql`INSERT INTO "_eventCursors" ("id", "seq", "updated") VALUES (${consumer}, ${seq}, ${now})`)
      }
    })
  }

  /** The newest committed seq (a new consumer that wants only future events starts here). */
  async head(): Promise<number> {
    const row = await this.store.get<{ seq: number | string | null }>(sql`SELECT MAX("seq") AS "seq" FROM "_events"`)
    return Number(row?.seq ?? 0)
  }

  /**
   * Deletes events older than `retentionMs` that every registered consumer has passed. Events no
   * consumer needs are kept for the retention period anyway (inspection, late consumers, replays).
   */
  async prune(retentionMs: number): Promise<number> {
    const cutoff = formatDate(new Date(this.clock.now().getTime() - retentionMs))
    const min = await this.store.get<{ seq: number | string | null }>(sql`SELECT MIN("seq") AS "seq" FROM "_eventCursors"`)
    const below = min?.seq === null || min?.seq === undefined ? sql.empty : sql` AND "seq" <= ${Number(min.seq)}`
    const { changes } = await this.store.run(sql`DELETE FROM "_events" WHERE "created" < ${cutoff}${below}`)
    return changes
  }
}
