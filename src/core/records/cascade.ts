// Deleting a record: clears or cascades relation references to it, inside the caller's transaction.
import type { Collection, RelationField, SchemaLookup } from '../collections/types.ts'
import { isMultiValued } from '../collections/types.ts'
import { badRequest } from '../errors.ts'
import { sql } from '../../store/sql.ts'
import type { SqlDialect } from '../../store/dialects/types.ts'
import type { Executor } from '../../store/types.ts'
import type { RecordData } from '../../rules/request-info.ts'
import type { ChangeEvent } from '../../realtime/types.ts'
import { deleteRecordRow, rowToRecord, updateRecord } from './record-io.ts'

export interface DeleteOutcome {
  events: ChangeEvent[]
  /** Files that belonged to deleted records, removed from storage after commit. */
  files: { collection: Collection; recordId: string; names: string[] }[]
}

const MAX_CASCADE_DEPTH = 32

export async function deleteWithReferences(tx: Executor, schema: SchemaLookup, dialect: SqlDialect, c: Collection, rec: RecordData): Promise<DeleteOutcome> {
  const outcome: DeleteOutcome = { events: [], files: [] }
  await deleteOne(tx, schema, dialect, c, rec, outcome, new Set(), 0)
  return outcome
}

async function deleteOne(tx: Executor, schema: SchemaLookup, dialect: SqlDialect, c: Collection, rec: RecordData, out: DeleteOutcome, visited: Set<string>, depth: number) {
  const key = `${c.id}/${rec.id}`
  if (visited.has(key)) return
  if (depth > MAX_CASCADE_DEPTH) throw badRequest('Failed to delete record. The cascade is too deep.')
  visited.add(key)
  for (const other of schema.all()) {
    for (const f of other.fields) {
      if (f.type !== 'relation' || f.collectionId !== c.id) continue
      for (const ref of await referencing(tx, dialect, other, f, rec.id as string)) {
        if (visited.has(`${other.id}/${ref.id}`)) continue
        await detach(tx, schema, dialect, other, f, ref, rec.id as string, out, visited, depth)
      }
    }
  }
  await deleteRecordRow(tx, c, rec.id as string, dialect)
  const names = c.fields.filter((f) => f.type === 'file').flatMap((f) => {
    const v = rec[f.name]
    return Array.isArray(v) ? v as string[] : v ? [v as string] : []
  })
  if (names.length) out.files.push({ collection: c, recordId: rec.id as string, names })
  out.events.push({ action: 'delete', collectionId: c.id, collectionName: c.name, record: rec })
}

async function referencing(tx: Executor, dialect: SqlDialect, c: Collection, f: RelationField, id: string): Promise<RecordData[]> {
  const col = sql`"t".${dialect.ident(f.name)}`
  const match = isMultiValued(f)
    ? sql`EXISTS (SELECT 1 FROM ${dialect.jsonEach(col, 'je')} WHERE "je"."value" = ${id})`
    : sql`${col} = ${id}`
  const rows = await tx.all(sql`SELECT "t".* FROM ${dialect.ident(c.name)} AS "t" WHERE ${match}`)
  return rows.map((r) => rowToRecord(c, r))
}

async function detach(tx: Executor, schema: SchemaLookup, dialect: SqlDialect, c: Collection, f: RelationField, ref: RecordData, id: string, out: DeleteOutcome, visited: Set<string>, depth: number) {
  const current = ref[f.name]
  const remaining = Array.isArray(current) ? (current as string[]).filter((x) => x !== id) : []
  if (remaining.length === 0) {
    if (f.cascadeDelete) return deleteOne(tx, schema, dialect, c, ref, out, visited, depth + 1)
    if (f.required) throw badRequest('Failed to delete record. Make sure that the record is not part of a required relation reference.')
  }
  const updated = { ...ref, [f.name]: isMultiValued(f) ? remaining : '' }
  await updateRecord(tx, c, ref.id as string, updated, dialect)
  out.events.push({ action: 'update', collectionId: c.id, collectionName: c.name, record: updated })
}
