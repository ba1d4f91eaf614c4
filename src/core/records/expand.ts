// The `expand` parameter: loads related and back-related records, each through its own viewRule.
import type { Collection, Field, RelationField } from '../collections/types.ts'
import { isMultiValued } from '../collections/types.ts'
import { hasUniqueIndexOn } from '../collections/indexes.ts'
import { badRequest } from '../errors.ts'
import { sql } from '../../store/sql.ts'
import type { RecordData } from '../../rules/request-info.ts'
import { MAIN_ALIAS, fromMain, rowToRecord } from './record-io.ts'
import { andAll, ruleCondition, type ReadContext } from './read-context.ts'
import { exportRecord } from './visibility.ts'

export type ExpandTree = Map<string, ExpandTree>

export const MAX_EXPAND_DEPTH = 6
const MAX_EXPAND_LENGTH = 2000
const MAX_BACK_RELATIONS = 1000
const BACK_RELATION = /^(\w+)_via_(\w+)$/

export function parseExpand(text: string | undefined): ExpandTree | null {
  if (!text) return null
  const clean = text.replace(/\s+/g, '')
  if (!clean) return null
  if (clean.length > MAX_EXPAND_LENGTH) throw badRequest('The expand parameter is too long.')
  const root: ExpandTree = new Map()
  for (const path of clean.split(',')) {
    if (!path) continue
    const segs = path.split('.')
    if (segs.length > MAX_EXPAND_DEPTH) throw badRequest(`Expand depth is limited to ${MAX_EXPAND_DEPTH} levels.`)
    let node = root
    for (const seg of segs) {
      if (!/^\w+$/.test(seg)) throw badRequest(`Invalid expand path ${JSON.stringify(path.slice(0, 60))}.`)
      if (!node.has(seg)) node.set(seg, new Map())
      node = node.get(seg)!
    }
  }
  return root
}

interface Link { target: Collection; many: boolean; idsOf?: (r: RecordData) => string[]; backField?: RelationField }

function resolveLink(ctx: ReadContext, c: Collection, key: string): Link | null {
  const field = c.fields.find((f) => f.name === key) as Field | undefined
  // A hidden relation is not readable, so it cannot be followed either (nor reached back through).
  if (field?.hidden && !ctx.viewer.superuser) return null
  if (field?.type === 'relation') {
    const target = ctx.schema.find(field.collectionId)
    if (!target) return null
    const idsOf = (r: RecordData) => { const v = r[key]; return Array.isArray(v) ? v as string[] : v ? [v as string] : [] }
    return { target, many: isMultiValued(field), idsOf }
  }
  const m = BACK_RELATION.exec(key)
  if (!m) return null
  const target = ctx.schema.find(m[1])
  const back = target?.fields.find((f) => f.name === m[2])
  if (!target || back?.type !== 'relation' || back.collectionId !== c.id) return null
  if (back.hidden && !ctx.viewer.superuser) return null
  const many = isMultiValued(back) || !hasUniqueIndexOn(target.indexes, back.name)
  return { target, many, backField: back }
}

/** Returns, per record id, the `expand` object to attach (only keys that produced something). */
/** Post-processes one exported related record (enrich hooks); identity when absent. */
export type ExportHook = (c: Collection, stored: RecordData, exported: Record<string, unknown>) => Record<string, unknown> | Promise<Record<string, unknown>>

export async function expandRecords(ctx: ReadContext, c: Collection, records: RecordData[], tree: ExpandTree, onExport?: ExportHook): Promise<Map<string, Record<string, unknown>>> {
  const result = new Map<string, Record<string, unknown>>()
  for (const [key, subtree] of tree) {
    const link = resolveLink(ctx, c, key)
    if (!link) continue // PocketBase ignores unknown/invalid expands
    const viewCond = ruleCondition({ ...ctx, info: { ...ctx.info, context: 'expand' } }, link.target, 'viewRule')
    if (viewCond === null) continue
    const alias = ctx.dialect.ident(MAIN_ALIAS)
    let related: RecordData[]
    if (link.idsOf) {
      const ids = [...new Set(records.flatMap(link.idsOf))]
      if (!ids.length) continue
      const rows = await ctx.db.all(sql`SELECT ${alias}.* FROM ${fromMain(link.target, ctx.dialect)} WHERE ${alias}."id" IN (${sql.join(ids.map((i) => sql`${i}`))}) AND ${andAll([viewCond])}`)
      related = rows.map((r) => rowToRecord(link.target, r))
    } else {
      const ids = records.map((r) => r.id as string)
      const col = sql`${alias}.${ctx.dialect.ident(link.backField!.name)}`
      const match = isMultiValued(link.backField!)
        ? sql`EXISTS (SELECT 1 FROM ${ctx.dialect.jsonEach(col, 'je')} WHERE "je"."value" IN (${sql.join(ids.map((i) => sql`${i}`))}))`
        : sql`${col} IN (${sql.join(ids.map((i) => sql`${i}`))})`
      const rows = await ctx.db.all(sql`SELECT ${alias}.* FROM ${fromMain(link.target, ctx.dialect)} WHERE ${match} AND ${andAll([viewCond])} LIMIT ${MAX_BACK_RELATIONS * Math.max(1, ids.length)}`)
      related = rows.map((r) => rowToRecord(link.target, r))
    }
    const nested = subtree.size ? await expandRecords(ctx, link.target, related, subtree, onExport) : new Map()
    const exported = new Map<string, Record<string, unknown>>()
    for (const r of related) {
      let out = exportRecord(link.target, r, ctx.viewer)
      if (onExport) out = await onExport(link.target, r, out)
      const e = nested.get(r.id as string)
      if (e) out.expand = e
      exported.set(r.id as string, out)
    }
    for (const rec of records) {
      let value: unknown
      if (link.idsOf) {
        const list = link.idsOf(rec).map((id) => exported.get(id)).filter(Boolean)
        value = link.many ? list : list[0]
      } else {
        const field = link.backField!.name
        const list = related.filter((r) => { const v = r[field]; return Array.isArray(v) ? v.includes(rec.id) : v === rec.id })
          .slice(0, MAX_BACK_RELATIONS).map((r) => exported.get(r.id as string)!)
        value = link.many ? list : list[0]
      }
      if (value === undefined || (Array.isArray(value) && !value.length)) continue
      const id = rec.id as string
      if (!result.has(id)) result.set(id, {})
      result.get(id)![key] = value
    }
  }
  return result
}
