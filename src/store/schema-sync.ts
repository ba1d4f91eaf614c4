// Applies collection schema changes to record tables (create, rename, add/rename/drop columns, indexes).
import type { Collection, Field } from '../core/collections/types.ts'
import { isMultiValued } from '../core/collections/types.ts'
import { fieldKind } from '../core/collections/fields/index.ts'
import { indexSql, parseIndex, type IndexDef } from '../core/collections/indexes.ts'
import type { SqlDialect } from './dialects/types.ts'
import type { Executor } from './types.ts'

function columnDef(field: Field, dialect: SqlDialect): string {
  const q = (n: string) => dialect.ident(n).render().sql
  if (field.name === 'id') return `${q('id')} TEXT PRIMARY KEY NOT NULL`
  return `${q(field.name)} ${dialect.columnType(fieldKind(field.type)!.columnKind(field))}`
}

function parsedIndexes(c: Collection): IndexDef[] {
  return c.indexes.map(parseIndex).filter((d): d is IndexDef => typeof d !== 'string')
}

export async function createCollectionTable(tx: Executor, c: Collection, dialect: SqlDialect): Promise<void> {
  // A view collection is an SQL VIEW over its (already checked) query: one statement, enforced by the engine.
  if (c.type === 'view') return tx.execOne(`CREATE VIEW ${dialect.ident(c.name).render().sql} AS ${c.viewQuery}`)
  const cols = [...c.fields.map((f) => columnDef(f, dialect)), ...dialect.systemColumns].join(', ')
  await tx.exec(`CREATE TABLE ${dialect.ident(c.name).render().sql} (${cols})`)
  for (const idx of parsedIndexes(c)) await tx.exec(indexSql(idx, c.name, dialect))
}

export async function dropCollectionTable(tx: Executor, c: Collection, dialect: SqlDialect): Promise<void> {
  if (c.type === 'view') return tx.exec(`DROP VIEW IF EXISTS ${dialect.ident(c.name).render().sql}`)
  await tx.exec(`DROP TABLE IF EXISTS ${dialect.ident(c.name).render().sql}`)
}

/** Migrates the table of `before` to match `after`, keeping data. Fields are matched by id. */
export async function alterCollectionTable(tx: Executor, before: Collection, after: Collection, dialect: SqlDialect): Promise<void> {
  if (before.type === 'view') {
    await dropCollectionTable(tx, before, dialect)
    return createCollectionTable(tx, after, dialect)
  }
  const q = (n: string) => dialect.ident(n).render().sql
  for (const idx of parsedIndexes(before)) await tx.exec(`DROP INDEX IF EXISTS ${q(idx.name)}`)
  if (before.name !== after.name) await tx.exec(`ALTER TABLE ${q(before.name)} RENAME TO ${q(after.name)}`)
  const table = q(after.name)
  const newById = new Map(after.fields.map((f) => [f.id, f]))
  const oldById = new Map(before.fields.map((f) => [f.id, f]))

  for (const old of before.fields) {
    if (!newById.has(old.id)) await tx.exec(`ALTER TABLE ${table} DROP COLUMN ${q(old.name)}`)
  }
  // Two-step renames through temporary names so swaps (a<->b) cannot collide.
  const renamed = after.fields.filter((f) => oldById.has(f.id) && oldById.get(f.id)!.name !== f.name)
  for (const f of renamed) await tx.exec(`ALTER TABLE ${table} RENAME COLUMN ${q(oldById.get(f.id)!.name)} TO ${q('_tmp_' + f.id)}`)
  for (const f of renamed) await tx.exec(`ALTER TABLE ${table} RENAME COLUMN ${q('_tmp_' + f.id)} TO ${q(f.name)}`)

  for (const f of after.fields) {
    const old = oldById.get(f.id)
    if (!old) {
      await tx.exec(`ALTER TABLE ${table} ADD COLUMN ${columnDef(f, dialect)}`)
    } else if (isMultiValued(old) !== isMultiValued(f)) {
      await convertMultiplicity(tx, table, f, isMultiValued(f), dialect)
    }
  }
  for (const idx of parsedIndexes(after)) await tx.exec(indexSql(idx, after.name, dialect))
}

/** Single <-> multiple value conversion: a single value becomes a one-item list; a list keeps its last item. */
async function convertMultiplicity(tx: Executor, table: string, f: Field, toMulti: boolean, dialect: SqlDialect): Promise<void> {
  const col = dialect.ident(f.name).render().sql
  const tmp = dialect.ident('_conv_' + f.id).render().sql
  const type = dialect.columnType(toMulti ? 'jsonArray' : 'text')
  await tx.exec(`ALTER TABLE ${table} ADD COLUMN ${tmp} ${type}`)
  const expr = toMulti ? dialect.singleToMulti(col) : dialect.multiToSingle(col)
  await tx.exec(`UPDATE ${table} SET ${tmp} = ${expr}`)
  await tx.exec(`ALTER TABLE ${table} DROP COLUMN ${col}`)
  await tx.exec(`ALTER TABLE ${table} RENAME COLUMN ${tmp} TO ${col}`)
}
