// Relation references: which records point at a record about to be deleted (the write path decides what to do).
import type { Collection, RelationField, SchemaLookup } from '../collections/types.ts'
import { isMultiValued } from '../collections/types.ts'
import { sql } from '../../store/sql.ts'
import type { SqlDialect } from '../../store/dialects/types.ts'
import type { Executor } from '../../store/types.ts'
import type { RecordData } from '../../rules/request-info.ts'
import { rowToRecord } from './record-io.ts'

export interface Reference { collection: Collection; field: RelationField; record: RecordData }

/** Every (collection, relation field, record) whose relation field holds `id` of collection `c`. */
export async function referencesTo(db: Executor, schema: SchemaLookup, dialect: SqlDialect, c: Collection, id: string): Promise<Reference[]> {
  const out: Reference[] = []
  for (const other of schema.all()) {
    for (const f of other.fields) {
      if (f.type !== 'relation' || f.collectionId !== c.id) continue
      const col = sql`"t".${dialect.ident(f.name)}`
      const match = isMultiValued(f)
        ? sql`EXISTS (SELECT 1 FROM ${dialect.jsonEach(col, 'je')} WHERE "je"."value" = ${id})`
        : sql`${col} = ${id}`
      const rows = await db.all(sql`SELECT "t".* FROM ${dialect.ident(other.name)} AS "t" WHERE ${match}`)
      for (const r of rows) out.push({ collection: other, field: f, record: rowToRecord(other, r) })
    }
  }
  return out
}
