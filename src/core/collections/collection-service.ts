// CollectionService: the schema registry — load, create, update, delete collections and sync their tables.
import { webhookDeliveriesCollection, webhooksCollection } from '../../events/webhooks/collections.ts'
import { crc32 } from 'node:zlib'
import { ApiError, badRequest, fieldError, hasErrors, notFound, type ErrorData } from '../errors.ts'
import { formatDate, type Clock } from '../clock.ts'
import { sql } from '../../store/sql.ts'
import { checkSelect } from '../../store/select-query.ts'
import { inferViewFields } from './view-fields.ts'
import type { Executor, Store } from '../../store/types.ts'
import { alterCollectionTable, createCollectionTable, dropCollectionTable } from '../../store/schema-sync.ts'
import { fieldKind, defaultFieldId } from './fields/index.ts'
import { authSystemFields, defaultAuthOptions, idField, AUTH_SYSTEM_FIELD_NAMES } from './auth-defaults.ts'
import { mergeAuthOptions } from './collection-json.ts'
import { validateCollection } from './collection-validate.ts'
import { authOriginsCollection, externalAuthsCollection, rolesCollection, superusersCollection, usersCollection } from './system-collections.ts'
import { formatIndex, parseIndex } from './indexes.ts'
import type { Collection, CollectionType, Field, RuleName, SchemaLookup } from './types.ts'
import { collectionOptionsJson, parseCollectionRow, type CollectionRow } from './collection-row.ts'
import { ErrorCode } from '../error-codes.ts'

const DRY_RUN_ROWS = 10
const RULES: RuleName[] = ['listRule', 'viewRule', 'createRule', 'updateRule', 'deleteRule']

export type SchemaChangeListener = (before: Collection | undefined, after: Collection | undefined) => void

export class CollectionService implements SchemaLookup {
  private byId = new Map<string, Collection>()
  private byName = new Map<string, Collection>()
  private listeners: SchemaChangeListener[] = []

  constructor(private readonly store: Store, private readonly clock: Clock) {}

  /**
   * Creates the system collections that are missing. Runs inside the startup migration transaction
   * (under the migration lock), so several nodes starting at once create them exactly once.
   */
  async bootstrap(tx: Executor): Promise<void> {
    const rows = await tx.all<{ id: string; name: string }>(sql`SELECT "id", "name" FROM "_collections"`)
    const existing = new Set(rows.map((r) => r.id))
    // A collection imported from PocketBase may hold a bootstrap name under another id (a `users` made by hand).
    const names = new Set(rows.map((r) => r.name.toLowerCase()))
    const now = this.clock.now()
    // Roles first: the users collection relates to it.
    for (const c of [superusersCollection(now), rolesCollection(now), usersCollection(now), externalAuthsCollection(now), authOriginsCollection(now), webhooksCollection(now), webhookDeliveriesCollection(now)]) {
      if (!existing.has(c.id) && !names.has(c.name.toLowerCase())) await this.insert(tx, c)
    }
    for (const c of [webhooksCollection(now), webhookDeliveriesCollection(now)]) if (existing.has(c.id)) await this.addMissingSystemFields(tx, c)
  }

  /**
   * A system collection created by an older version gains the fields added since (appended before its
   * timestamps; existing fields, rules and data are left as they are).
   */
  private async addMissingSystemFields(tx: Executor, wanted: Collection): Promise<void> {
    const row = await tx.get<CollectionRow>(sql`SELECT * FROM "_collections" WHERE "id" = ${wanted.id}`)
    if (!row) return
    const before = parseCollectionRow(row)
    const missing = wanted.fields.filter((f) => !before.fields.some((g) => g.name === f.name))
    if (!missing.length) return
    const after: Collection = structuredClone(before)
    const at = after.fields.findIndex((f) => f.type === 'autodate')
    after.fields.splice(at < 0 ? after.fields.length : at, 0, ...missing)
    await alterCollectionTable(tx, before, after, this.store.dialect)
    await tx.run(sql`UPDATE "_collections" SET "fields" = ${JSON.stringify(after.fields)} WHERE "id" = ${after.id}`)
  }

  async reload(): Promise<void> {
    // A reload that read the table before a local change committed must not overwrite the cache
    // with the older state: read again until no local change happened meanwhile.
    let rows: CollectionRow[]
    for (;;) {
      const generation = this.generation
      rows = await this.store.all<CollectionRow>(sql`SELECT * FROM "_collections" ORDER BY "created", "id"`)
      if (generation === this.generation) break
    }
    this.byId.clear()
    this.byName.clear()
    for (const row of rows) this.cache(parseCollectionRow(row))
  }

  onChange(listener: SchemaChangeListener) { this.listeners.push(listener) }

  find(idOrName: string): Collection | undefined {
    return this.byId.get(idOrName) ?? this.byName.get(idOrName.toLowerCase())
  }

  all(): readonly Collection[] { return [...this.byId.values()] }

  get(idOrName: string): Collection {
    const c = this.find(idOrName)
    if (!c) throw notFound()
    return c
  }

  async create(input: Record<string, unknown>): Promise<Collection> {
    await this.reload() // another node may have changed the schema
    const type = (input.type ?? 'base') as CollectionType
    if (type !== 'base' && type !== 'auth' && type !== 'view') throw badRequest('Failed to create collection.', { type: { code: ErrorCode.inInvalid, message: 'Must be a valid value.' } })
    const name = typeof input.name === 'string' ? input.name.trim() : ''
    const now = formatDate(this.clock.now())
    const c: Collection = {
      id: typeof input.id === 'string' && input.id ? input.id : `pbc_${crc32(type + name)}`,
      name, type, system: false,
      fields: type === 'view' ? [] : buildFields(input.fields, undefined, type),
      indexes: type === 'view' ? [] : normalizeIndexes(input.indexes, name),
      listRule: null, viewRule: null, createRule: null, updateRule: null, deleteRule: null,
      created: now, updated: now,
    }
    for (const r of RULES) if (r in input) c[r] = ruleValue(input[r])
    applyFileAccess(c, input)
    if (type === 'auth') {
      c.auth = mergeAuthOptions(defaultAuthOptions(), input)
      ensureAuthIndexes(c)
    }
    if (type === 'view') applyViewOptions(c, input)
    await this.store.transaction(async (tx) => {
      if (type === 'view') await this.inferViewSchema(c, input, undefined, 'Failed to create collection.')
      const errors = validateCollection(c, undefined, this, this.store.dialect)
      if (this.byId.has(c.id)) errors.id = { code: ErrorCode.notUnique, message: 'Value must be unique.' }
      if (hasErrors(errors)) throw badRequest('Failed to create collection.', errors)
      await this.insert(tx, c)
    })
    this.cache(c)
    this.emit(undefined, c)
    return c
  }

  async update(idOrName: string, input: Record<string, unknown>): Promise<Collection> {
    await this.reload()
    const before = this.get(idOrName)
    const c: Collection = structuredClone(before)
    if (typeof input.name === 'string') c.name = input.name.trim()
    if (typeof input.type === 'string') c.type = input.type as CollectionType
    if ('fields' in input && c.type !== 'view') c.fields = buildFields(input.fields, before, c.type)
    if ('indexes' in input && c.type !== 'view') c.indexes = normalizeIndexes(input.indexes, c.name)
    for (const r of RULES) if (r in input) c[r] = ruleValue(input[r])
    if (c.type === 'view') applyViewOptions(c, input)
    applyFileAccess(c, input)
    if (c.auth) {
      c.auth = mergeAuthOptions(c.auth, input)
      if (c.auth.authRule !== before.auth!.authRule) c.auth.authToken.secret = defaultAuthOptions().authToken.secret
      ensureAuthIndexes(c)
    }
    // Index text follows a rename of the table.
    c.indexes = c.indexes.map((t) => { const d = parseIndex(t); return typeof d === 'string' ? t : formatIndex(d, c.name) })
    c.updated = formatDate(this.clock.now())
    await this.store.transaction(async (tx) => {
      if (c.type === 'view' && before.type === 'view') await this.inferViewSchema(c, input, before, 'Failed to update collection.')
      const errors = validateCollection(c, before, this, this.store.dialect)
      if (hasErrors(errors)) throw badRequest('Failed to update collection.', errors)
      await this.withViewsChecked(c, () => alterCollectionTable(tx, before, c, this.store.dialect))
      await tx.run(sql`UPDATE "_collections" SET "name" = ${c.name}, "fields" = ${JSON.stringify(c.fields)},
        "indexes" = ${JSON.stringify(c.indexes)}, "listRule" = ${c.listRule}, "viewRule" = ${c.viewRule},
        "createRule" = ${c.createRule}, "updateRule" = ${c.updateRule}, "deleteRule" = ${c.deleteRule},
        "options" = ${collectionOptionsJson(c)}, "updated" = ${c.updated} WHERE "id" = ${c.id}`)
    })
    this.uncache(before)
    this.cache(c)
    this.emit(before, c)
    return c
  }

  async delete(idOrName: string): Promise<void> {
    await this.reload()
    const c = this.get(idOrName)
    if (c.system) throw badRequest('System collections cannot be deleted.')
    const referencing = this.all().filter((o) => o.id !== c.id && o.fields.some((f) => f.type === 'relation' && f.collectionId === c.id))
    if (referencing.length) {
      throw badRequest(`The collection is referenced by ${referencing.map((o) => o.name).join(', ')} and cannot be deleted.`)
    }
    await this.store.transaction(async (tx) => {
      await this.withViewsChecked(c, () => dropCollectionTable(tx, c, this.store.dialect))
      await tx.run(sql`DELETE FROM "_collections" WHERE "id" = ${c.id}`)
    })
    this.uncache(c)
    this.emit(c, undefined)
  }

  /**
   * What a view query would give (POST /api/collections/meta/dry-run-view): its first rows (at most 10)
   * decoded through the fields the view would get; password fields are left out, as everywhere.
   */
  async dryRunView(query: unknown): Promise<Record<string, unknown>[]> {
    const failure = 'Invalid view query.'
    const checked = checkSelect(query)
    if ('problem' in checked) throw badRequest(failure, { query: fieldError(ErrorCode.invalidViewQuery, checked.problem) })
    let sample
    try {
      sample = await this.store.selectSample(checked.query, DRY_RUN_ROWS)
    } catch (err) {
      throw badRequest(failure, { query: fieldError(ErrorCode.invalidViewQuery, engineMessage(err)) })
    }
    const inferred = inferViewFields(sample.columns, sample.rows[0], this, [])
    if ('errors' in inferred) throw badRequest(failure, { query: inferred.errors.viewQuery })
    return sample.rows.map((row) => {
      const out: Record<string, unknown> = {}
      inferred.fields.forEach((f, i) => { if (f.type !== 'password') out[f.name] = fieldKind(f.type)!.fromDb(f as never, row[i]) })
      return out
    })
  }

  /** Sets a view's fields from what its query returns (run inside the saving transaction); a 400 for a bad query. */
  private async inferViewSchema(c: Collection, input: Record<string, unknown>, before: Collection | undefined, failure: string) {
    const checked = checkSelect(c.viewQuery)
    if ('problem' in checked) throw badRequest(failure, { viewQuery: fieldError(ErrorCode.invalidViewQuery, checked.problem) })
    c.viewQuery = checked.query
    let sample
    try {
      sample = await this.store.selectSample(checked.query, 1)
    } catch (err) {
      throw badRequest(failure, { viewQuery: fieldError(ErrorCode.invalidViewQuery, `Invalid view query: ${engineMessage(err)}`) })
    }
    const submitted = Array.isArray(input.fields) ? input.fields.filter((f) => f && typeof f === 'object') as Record<string, unknown>[] : []
    const inferred = inferViewFields(sample.columns, sample.rows[0], this, submitted, before, checked.query)
    if ('errors' in inferred) throw badRequest(failure, inferred.errors)
    c.fields = inferred.fields
  }

  /**
   * Runs a table change, then checks that every view collection still runs: a view built on a dropped
   * table or column answers 400 naming the view, and the transaction rolls back (PostgreSQL refuses
   * the change itself; SQLite would only fail later, when the view is read).
   */
  private async withViewsChecked(changed: Collection, change: () => Promise<void>) {
    try {
      await change()
    } catch (err) {
      if ((err as { code?: string }).code === '2BP01') throw badRequest(`The collection ${changed.name} is used by a view collection; change or delete the view first.`)
      throw err
    }
    for (const v of this.all().filter((o) => o.type === 'view' && o.id !== changed.id)) {
      try {
        await this.store.selectSample(`SELECT * FROM ${this.store.dialect.ident(v.name).render().sql}`, 0)
      } catch {
        throw badRequest(`The view collection ${v.name} depends on ${changed.name}; change or delete the view first.`)
      }
    }
  }

  private async insert(tx: Executor, c: Collection) {
    await tx.run(sql`INSERT INTO "_collections" ("id", "system", "type", "name", "fields", "indexes",
      "listRule", "viewRule", "createRule", "updateRule", "deleteRule", "options", "created", "updated")
      VALUES (${c.id}, ${c.system}, ${c.type}, ${c.name}, ${JSON.stringify(c.fields)}, ${JSON.stringify(c.indexes)},
      ${c.listRule}, ${c.viewRule}, ${c.createRule}, ${c.updateRule}, ${c.deleteRule},
      ${collectionOptionsJson(c)}, ${c.created}, ${c.updated})`)
    await createCollectionTable(tx, c, this.store.dialect)
  }

  /** Bumped by every local schema change (see reload). */
  private generation = 0
  /** Changes whenever the cached schema changes (reloads included): a cheap key for derived caches. */
  get version(): number { return this.generation }

  private cache(c: Collection) {
    this.generation++
    this.byId.set(c.id, c)
    this.byName.set(c.name.toLowerCase(), c)
  }

  private uncache(c: Collection) {
    this.generation++
    this.byId.delete(c.id)
    this.byName.delete(c.name.toLowerCase())
  }

  /** Set while an import runs: change events wait for its commit (a rolled-back import announces nothing). */
  private deferred: (() => void)[] | null = null

  private emit(before: Collection | undefined, after: Collection | undefined) {
    const fire = () => { for (const l of this.listeners) l(before, after) }
    if (this.deferred) this.deferred.push(fire)
    else fire()
  }

  /**
   * PUT /api/collections/import: creates or replaces every submitted collection (matched by id, then
   * name) and, with `deleteMissing`, deletes the other non-system collections and the fields missing
   * from the submitted ones (without it, existing fields not submitted are kept). All or nothing, in
   * one transaction. A collection that fails because it needs one that comes later in the list is
   * retried after the others; what still fails is a 400 with `data.collections.<index>.<field>`.
   */
  async importCollections(input: unknown, deleteMissing: boolean): Promise<void> {
    if (!Array.isArray(input) || !input.length) {
      throw badRequest('An error occurred while validating the submitted data.', { collections: fieldError(ErrorCode.required, 'Cannot be blank.') })
    }
    await this.reload()
    this.deferred = []
    let committed = false
    try {
      await this.store.transaction(async () => {
        const imported = await this.importEach(input, deleteMissing)
        if (deleteMissing) await this.deleteAllBut(imported)
      })
      committed = true
    } finally {
      const events = this.deferred
      this.deferred = null
      if (committed) for (const fire of events) fire()
      else await this.reload() // the cache saw changes the rollback undid
    }
  }

  private async importEach(input: unknown[], deleteMissing: boolean): Promise<Set<string>> {
    const imported = new Set<string>()
    let pending = input.map((raw, index) => ({ raw, index }))
    for (;;) {
      const failed: typeof pending = []
      const errors: ErrorData = {}
      for (const p of pending) {
        if (!p.raw || typeof p.raw !== 'object' || Array.isArray(p.raw)) {
          throw badRequest('Failed to import collections.', { collections: { [p.index]: fieldError(ErrorCode.invalidValue, 'Must be a collection object.') } })
        }
        try {
          imported.add((await this.importOne(p.raw as Record<string, unknown>, deleteMissing)).id)
        } catch (err) {
          if (!(err instanceof ApiError) || err.status !== 400) throw err
          failed.push(p)
          errors[p.index] = hasErrors(err.data) ? err.data : fieldError(ErrorCode.collectionsImportFailure, err.message)
        }
      }
      if (!failed.length) return imported
      if (failed.length === pending.length) throw badRequest('Failed to import collections.', { collections: errors })
      pending = failed
    }
  }

  private importOne(raw: Record<string, unknown>, deleteMissing: boolean): Promise<Collection> {
    const existing = (typeof raw.id === 'string' && raw.id ? this.find(raw.id) : undefined) ??
      (typeof raw.name === 'string' && !raw.id ? this.find(raw.name) : undefined)
    if (!existing) return this.create(raw)
    const input = { ...raw }
    delete input.id
    if (!deleteMissing && Array.isArray(raw.fields) && existing.type !== 'view') {
      const sent = raw.fields.filter((f) => f && typeof f === 'object') as Record<string, unknown>[]
      const kept = existing.fields.filter((f) => !sent.some((s) => s.id === f.id || (!s.id && s.name === f.name)))
      input.fields = [...sent, ...kept]
    }
    return this.update(existing.id, input)
  }

  /** Deletes the non-system collections not in `keep`: views first, then whatever nothing left refers to. */
  private async deleteAllBut(keep: Set<string>) {
    let doomed = this.all().filter((c) => !keep.has(c.id) && !c.system)
    for (const v of doomed.filter((c) => c.type === 'view')) await this.delete(v.id)
    doomed = doomed.filter((c) => c.type !== 'view')
    while (doomed.length) {
      const free = doomed.filter((c) => !this.all().some((o) => o.id !== c.id && o.fields.some((f) => f.type === 'relation' && f.collectionId === c.id)))
      if (!free.length) throw badRequest('Failed to import collections.', { collections: fieldError(ErrorCode.collectionsImportFailure, `Cannot delete ${doomed.map((c) => c.name).join(', ')}: still referenced by imported collections.`) })
      for (const c of free) await this.delete(c.id)
      doomed = doomed.filter((c) => !free.includes(c))
    }
  }
}

/** A view takes only list/view rules and no indexes (as PocketBase); its query is checked when it is saved. */
function applyViewOptions(c: Collection, input: Record<string, unknown>) {
  if (typeof input.viewQuery === 'string') c.viewQuery = input.viewQuery
  c.viewQuery ??= ''
  c.createRule = c.updateRule = c.deleteRule = null
  c.indexes = []
}

/** The engine's error message for a query it refused (shown to the superuser who wrote the query). */
function engineMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** `fileAccess` (Basalt extension): "public" (or null) clears it; other values are left for validation. */
function applyFileAccess(c: Collection, input: Record<string, unknown>) {
  if (!('fileAccess' in input)) return
  const v = input.fileAccess
  if (v === 'public' || v === null || v === undefined) delete c.fileAccess
  else c.fileAccess = v as Collection['fileAccess']
}

function ruleValue(v: unknown): string | null {
  return typeof v === 'string' ? v : null
}

function normalizeIndexes(input: unknown, table: string): string[] {
  if (!Array.isArray(input)) return []
  return input.map((t) => {
    const d = typeof t === 'string' ? parseIndex(t) : 'invalid'
    return typeof d === 'string' ? String(t) : formatIndex(d, table)
  })
}

/** Builds the field list from client input, keeping ids of existing fields and the system fields. */
function buildFields(input: unknown, before: Collection | undefined, type: CollectionType): Field[] {
  const list = Array.isArray(input) ? input.filter((f) => f && typeof f === 'object') as Record<string, unknown>[] : []
  const fields: Field[] = []
  for (const raw of list) {
    const kind = fieldKind(String(raw.type))
    const name = typeof raw.name === 'string' ? raw.name : ''
    const prev = before?.fields.find((f) => (raw.id && f.id === raw.id) || (!raw.id && f.name === name))
    if (!kind) {
      fields.push({ ...(raw as object), id: String(raw.id ?? ''), name, type: raw.type } as Field)
      continue
    }
    const merged = { ...(prev ?? {}), ...raw, name } as Record<string, unknown>
    merged.id = prev?.id ?? (typeof raw.id === 'string' && raw.id ? raw.id : defaultFieldId(kind.type, name))
    merged.system = prev?.system ?? false
    fields.push(kind.withDefaults(merged as never) as Field)
  }
  // The id field and auth system fields always exist, whatever the client sent.
  if (!fields.some((f) => f.name === 'id')) fields.unshift(before?.fields.find((f) => f.name === 'id') ?? idField())
  if (type === 'auth') {
    for (const sys of authSystemFields()) {
      if (!fields.some((f) => f.name === sys.name)) fields.push(before?.fields.find((f) => f.name === sys.name) ?? sys)
    }
  }
  for (const f of fields) {
    if (f.name === 'id' || (type === 'auth' && (AUTH_SYSTEM_FIELD_NAMES as readonly string[]).includes(f.name))) f.system = true
  }
  return fields
}

function ensureAuthIndexes(c: Collection) {
  const has = (col: string) => c.indexes.some((t) => { const d = parseIndex(t); return typeof d !== 'string' && d.unique && d.columns.length === 1 && d.columns[0].name === col })
  if (!has('tokenKey')) c.indexes.push(formatIndex({ unique: true, name: `idx_tokenKey_${c.id}`, table: c.name, columns: [{ name: 'tokenKey', collate: null, order: null }], where: null }))
  if (!has('email')) c.indexes.push(formatIndex({ unique: true, name: `idx_email_${c.id}`, table: c.name, columns: [{ name: 'email', collate: 'NOCASE', order: null }], where: "email != ''" }))
}
