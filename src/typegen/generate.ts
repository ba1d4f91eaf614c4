// typegen: collections (as the collections API returns them) → TypeScript types for records, inputs and expands.

/** The parts of a collection's JSON that typegen reads (works for local and remote schemas alike). */
export interface SchemaCollection {
  id: string
  name: string
  type: string
  fields: SchemaField[]
}
export interface SchemaField {
  name: string
  type: string
  required?: boolean
  hidden?: boolean
  system?: boolean
  values?: string[]
  maxSelect?: number
  collectionId?: string
  onCreate?: boolean
}

const pascal = (s: string) => s.replace(/(^|[^A-Za-z0-9]+)([A-Za-z0-9])/g, (_m, _sep, c: string) => c.toUpperCase()).replace(/^(\d)/, '_$1')
/** Property names that are not identifiers are quoted. */
const prop = (name: string) => (/^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name))
const BASE_SYSTEM = new Set(['id'])
const AUTH_SYSTEM = new Set(['id', 'email', 'emailVisibility', 'verified', 'password', 'tokenKey'])

function typeName(c: SchemaCollection) { return pascal(c.name.replace(/^_/, 'system_')) }

function selectEnum(c: SchemaCollection, f: SchemaField): string {
  return `${typeName(c)}${pascal(f.name)}Options`
}

/** The TypeScript type of a field's stored (response) value. */
function valueType(c: SchemaCollection, f: SchemaField): string {
  const many = (f.maxSelect ?? 1) > 1
  switch (f.type) {
    case 'text': case 'email': case 'url': return 'string'
    case 'editor': return 'HTMLString'
    case 'number': return 'number'
    case 'bool': return 'boolean'
    case 'date': case 'autodate': return 'IsoDateString'
    case 'select': return f.values?.length ? (many ? `${selectEnum(c, f)}[]` : selectEnum(c, f)) : (many ? 'string[]' : 'string')
    case 'relation': return many ? 'RecordIdString[]' : 'RecordIdString'
    case 'file': return many ? 'string[]' : 'string'
    case 'json': return 'unknown'
    case 'geoPoint': return 'GeoPoint'
    default: return 'unknown'
  }
}

/** What a create/update body may send for a field. */
function inputType(c: SchemaCollection, f: SchemaField): string {
  if (f.type === 'file') return (f.maxSelect ?? 1) > 1 ? '(File | Blob)[]' : 'File | Blob'
  if (f.type === 'date') return 'IsoDateString | Date'
  return valueType(c, f)
}

const writable = (c: SchemaCollection, f: SchemaField) =>
  f.type !== 'autodate' && !(c.type === 'auth' && (f.name === 'tokenKey' || f.name === 'password'))

export function generateTypes(collections: SchemaCollection[], opts: { generator?: string } = {}): string {
  const list = [...collections].sort((a, b) => a.name.localeCompare(b.name))
  const byId = new Map(list.map((c) => [c.id, c]))
  const out: string[] = []
  out.push(`/**\n * This file was @generated using ${opts.generator ?? 'basalt typegen'}. Do not edit it by hand.\n */\n`)
  out.push(`import type PocketBase from 'pocketbase'\nimport type { RecordService } from 'pocketbase'\n`)
  out.push(`export enum Collections {\n${list.map((c) => `\t${typeName(c)} = ${JSON.stringify(c.name)},`).join('\n')}\n}\n`)
  out.push(`// Alias types for improved usability
export type IsoDateString = string
export type RecordIdString = string
export type HTMLString = string
export type GeoPoint = { lon: number; lat: number }

// System fields
export type BaseSystemFields<T = unknown> = {
\tid: RecordIdString
\tcollectionId: string
\tcollectionName: Collections
\texpand?: T
}

export type AuthSystemFields<T = unknown> = {
\temail: string
\temailVisibility: boolean
\tverified: boolean
} & BaseSystemFields<T>
`)
  out.push('// Record types for each collection\n')
  for (const c of list) {
    const system = c.type === 'auth' ? AUTH_SYSTEM : BASE_SYSTEM
    for (const f of c.fields) {
      if (f.type === 'select' && f.values?.length && !system.has(f.name)) {
        out.push(`export enum ${selectEnum(c, f)} {\n${f.values.map((v) => `\t${JSON.stringify(v)} = ${JSON.stringify(v)},`).join('\n')}\n}`)
      }
    }
    const own = c.fields.filter((f) => !system.has(f.name) && f.type !== 'password')
    out.push(`export type ${typeName(c)}Record = {\n${own.map((f) => `\t${prop(f.name)}${f.required || f.type === 'autodate' ? '' : '?'}: ${valueType(c, f)}`).join('\n')}\n}\n`)
    // Create/update inputs: what the API accepts (no autodates, no token keys; passwords for auth collections).
    const inputs = c.fields.filter((f) => writable(c, f) && f.name !== 'id')
    const auth = c.type === 'auth' ? '\n\tpassword: string\n\tpasswordConfirm: string' : ''
    out.push(`export type ${typeName(c)}Create = {\n\tid?: RecordIdString${auth}\n${inputs.map((f) => `\t${prop(f.name)}${f.required && f.type !== 'bool' ? '' : '?'}: ${inputType(c, f)}`).join('\n')}\n}\n`)
    out.push(`export type ${typeName(c)}Update = Partial<Omit<${typeName(c)}Create, 'id'${c.type === 'auth' ? " | 'password' | 'passwordConfirm'" : ''}>>${c.type === 'auth' ? ' & { oldPassword?: string; password?: string; passwordConfirm?: string }' : ''}\n`)
    // Expand shapes: every relation field to its target's response type.
    const rels = c.fields.filter((f) => f.type === 'relation' && f.collectionId && byId.has(f.collectionId))
    out.push(`export type ${typeName(c)}Expand = {\n${rels.map((f) => `\t${prop(f.name)}?: ${typeName(byId.get(f.collectionId!)!)}Response${(f.maxSelect ?? 1) > 1 ? '[]' : ''}`).join('\n')}\n}\n`)
  }
  out.push('// Response types include system fields and match responses from the API\n')
  for (const c of list) {
    const sys = c.type === 'auth' ? 'AuthSystemFields' : 'BaseSystemFields'
    out.push(`export type ${typeName(c)}Response<Texpand = ${typeName(c)}Expand> = Required<${typeName(c)}Record> & ${sys}<Texpand>`)
  }
  out.push('\n// Types containing all Records and Responses, useful for creating typing helper functions\n')
  out.push(`export type CollectionRecords = {\n${list.map((c) => `\t${prop(c.name)}: ${typeName(c)}Record`).join('\n')}\n}\n`)
  out.push(`export type CollectionResponses = {\n${list.map((c) => `\t${prop(c.name)}: ${typeName(c)}Response`).join('\n')}\n}\n`)
  out.push('// Type for usage with type asserted PocketBase instance\n// https://github.com/pocketbase/js-sdk#specify-typescript-definitions\n')
  out.push(`export type TypedPocketBase = PocketBase & {\n${list.map((c) => `\tcollection(idOrName: ${JSON.stringify(c.name)}): RecordService<${typeName(c)}Response>`).join('\n')}\n}\n`)
  return out.join('\n')
}
