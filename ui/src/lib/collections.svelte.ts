// The collections list, shared by the sidebar, the editors and the record forms; reloaded after every schema change.
import type { CollectionModel } from 'pocketbase'
import { pb } from './pb'

export const schema = $state({ list: [] as CollectionModel[], loaded: false, error: '' })

export async function loadCollections(): Promise<void> {
  try {
    schema.list = await pb.collections.getFullList({ sort: 'name' })
    schema.error = ''
  } catch (err) {
    schema.error = (err as Error).message
  }
  schema.loaded = true
}

export const byName = (name: string) => schema.list.find((c) => c.name === name || c.id === name)

/** Every field type Basalt has; `password` only in auth collections. */
export const FIELD_TYPES = ['text', 'number', 'bool', 'email', 'url', 'editor', 'date', 'autodate', 'select', 'file', 'relation', 'json', 'geoPoint', 'password'] as const

export type Field = Record<string, any> & { name: string; type: string }

/** A new field with its type's options at their defaults (the server fills anything omitted). */
export function newField(type: string): Field {
  const base: Field = { name: '', type, required: false, hidden: false, presentable: false, system: false }
  const extra: Record<string, Record<string, unknown>> = {
    text: { min: 0, max: 0, pattern: '' },
    number: { min: null, max: null, onlyInt: false },
    editor: { maxSize: 0, convertURLs: false },
    select: { values: [], maxSelect: 1 },
    file: { maxSelect: 1, maxSize: 0, mimeTypes: [], thumbs: [], protected: false },
    relation: { collectionId: '', maxSelect: 1, minSelect: 0, cascadeDelete: false },
    autodate: { onCreate: true, onUpdate: false },
    json: { maxSize: 0 },
    email: { exceptDomains: [], onlyDomains: [] },
    url: { exceptDomains: [], onlyDomains: [] },
    password: { min: 8, max: 0, pattern: '', cost: 0 },
  }
  return { ...base, ...(extra[type] ?? {}) }
}

export const RULES = ['listRule', 'viewRule', 'createRule', 'updateRule', 'deleteRule'] as const
