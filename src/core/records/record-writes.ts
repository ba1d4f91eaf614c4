// RecordWrites: the one write path for records — model hooks, validation, the row, its outbox event, after-commit work.
import type { Collection } from '../collections/types.ts'
import type { CollectionService } from '../collections/collection-service.ts'
import { fieldKind } from '../collections/fields/index.ts'
import { ApiError, badRequest, fieldError, hasErrors, type ErrorData } from '../errors.ts'
import { formatDate, type Clock } from '../clock.ts'
import type { HookRegistry } from '../hooks/registry.ts'
import type { RecordEvent } from '../hooks/events.ts'
import { sql } from '../../store/sql.ts'
import { isUniqueViolation, type Executor, type Store } from '../../store/types.ts'
import type { FileStorage } from '../../files/storage.ts'
import type { RecordData } from '../../rules/request-info.ts'
import type { ChangeEvent } from '../../realtime/types.ts'
import type { Outbox } from '../../events/outbox.ts'
import { deleteRecordRow, insertRecord, loadRecord, updateRecord } from './record-io.ts'
import { uniqueViolationFields } from './unique-violation.ts'
import { RecordModel } from './record-model.ts'
import { referencesTo, type Reference } from './cascade.ts'
import { uploadContent, type UploadedFile } from './uploaded-file.ts'
import { ErrorCode } from '../error-codes.ts'

export interface Upload { name: string; file: UploadedFile }

export interface WriteOptions {
  /** Field errors found before the write (input coercion, auth fields), reported with validation's. */
  errors?: ErrorData
  /** Files to store with the record (removed again if the write fails). */
  uploads?: Upload[]
  /** Stored file names the change drops: deleted once the write committed. */
  removedFiles?: string[]
  /** Skip field validation (cascades clearing a reference; data already validated). */
  skipValidation?: boolean
}

export interface RecordWritesDeps {
  store: Store
  collections: CollectionService
  clock: Clock
  files: FileStorage
  hooks: HookRegistry
  outbox: Outbox
  /** After commit, each change in order (realtime fan-out). */
  onCommitted: (event: ChangeEvent) => void
}

const MAX_CASCADE_DEPTH = 32
const tagsOf = (c: Collection) => [c.id, c.name]

/**
 * Every record write — HTTP, batch, auth flows, cascades, app code — goes through here, inside one
 * transaction (joining the caller's): model hooks (`onRecordCreate` → validation → `onRecordCreateExecute`),
 * the row, the outbox event; `onRecordAfter*Success` and realtime run only after the commit.
 */
/** View collections are read-only: every write path answers PocketBase's 400 before anything else. */
export function assertWritable(c: Collection): void {
  if (c.type === 'view') throw badRequest('Unsupported collection type.')
}

export class RecordWrites {
  constructor(private readonly deps: RecordWritesDeps) {}

  /** Inserts `data` (a full record with its id) and returns it as stored. */
  async create(c: Collection, data: RecordData, opts: WriteOptions = {}): Promise<RecordData> {
    assertWritable(c)
    const record = new RecordModel(c, data, null)
    const e = { collection: c, record, type: 'create' as const }
    return this.guard(c, e, 'Failed to create record.', opts, async () => {
      await this.deps.hooks.onRecordCreate.trigger(e, async () => {
        this.stampDates(c, record.data, true)
        await this.validate(c, record, null, opts, 'Failed to create record.')
        await this.deps.hooks.onRecordCreateExecute.trigger(e, async () => {
          await this.writeUploads(c, record.id, opts.uploads)
          await this.mapUnique(c, 'Failed to create record.', () => this.deps.store.transaction((tx) => insertRecord(tx, c, record.data, this.deps.store.dialect)))
          await this.recordChange('create', c, record.data)
        }, tagsOf(c))
      }, tagsOf(c))
      this.afterCommit(() => this.deps.hooks.onRecordAfterCreateSuccess.trigger({ ...e, record: snapshot(c, record) }, undefined, tagsOf(c)))
      return record.data
    })
  }

  /** Replaces the stored `before` with `data` (same id) and returns it as stored. */
  async update(c: Collection, before: RecordData, data: RecordData, opts: WriteOptions = {}): Promise<RecordData> {
    assertWritable(c)
    const record = new RecordModel(c, data, before)
    const e = { collection: c, record, type: 'update' as const }
    return this.guard(c, e, 'Failed to update record.', opts, async () => {
      await this.deps.hooks.onRecordUpdate.trigger(e, async () => {
        this.stampDates(c, record.data, false)
        await this.validate(c, record, before, opts, 'Failed to update record.')
        await this.deps.hooks.onRecordUpdateExecute.trigger(e, async () => {
          await this.writeUploads(c, record.id, opts.uploads)
          await this.mapUnique(c, 'Failed to update record.', () => this.deps.store.transaction((tx) => updateRecord(tx, c, String(before.id), record.data, this.deps.store.dialect)))
          await this.recordChange('update', c, record.data)
        }, tagsOf(c))
      }, tagsOf(c))
      if (opts.removedFiles?.length) this.afterCommit(() => this.removeFiles(c, record.id, opts.removedFiles!))
      this.afterCommit(() => this.deps.hooks.onRecordAfterUpdateSuccess.trigger({ ...e, record: snapshot(c, record, before) }, undefined, tagsOf(c)))
      return record.data
    })
  }

  /** Deletes the stored record, clearing or cascading references to it (PocketBase's relation semantics). */
  async delete(c: Collection, stored: RecordData): Promise<void> {
    assertWritable(c)
    await this.deleteOne(c, stored, new Set(), 0)
  }

  private async deleteOne(c: Collection, stored: RecordData, visited: Set<string>, depth: number): Promise<void> {
    const key = `${c.id}/${stored.id}`
    if (visited.has(key)) return
    if (depth > MAX_CASCADE_DEPTH) throw badRequest('Failed to delete record. The cascade is too deep.')
    visited.add(key)
    const record = new RecordModel(c, stored, stored)
    const e = { collection: c, record, type: 'delete' as const }
    await this.guard(c, e, 'Failed to delete record.', {}, async () => {
      await this.deps.hooks.onRecordDelete.trigger(e, async () => {
        await this.deps.hooks.onRecordDeleteExecute.trigger(e, async () => {
          const tx: Executor = this.deps.store
          for (const ref of await referencesTo(tx, this.deps.collections, this.deps.store.dialect, c, record.id)) {
            if (visited.has(`${ref.collection.id}/${ref.record.id}`)) continue
            await this.detach(ref, record.id, visited, depth)
          }
          await deleteRecordRow(tx, c, record.id, this.deps.store.dialect)
          await this.recordChange('delete', c, stored)
        }, tagsOf(c))
      }, tagsOf(c))
      const names = fileNames(c, stored)
      if (names.length) this.afterCommit(() => this.removeFiles(c, record.id, names))
      this.afterCommit(() => this.deps.hooks.onRecordAfterDeleteSuccess.trigger({ ...e, record: snapshot(c, record) }, undefined, tagsOf(c)))
    })
  }

  private async detach(ref: Reference, id: string, visited: Set<string>, depth: number): Promise<void> {
    const { collection: c, field: f, record: rec } = ref
    const current = rec[f.name]
    const remaining = Array.isArray(current) ? (current as string[]).filter((x) => x !== id) : []
    if (remaining.length === 0) {
      if (f.cascadeDelete) return this.deleteOne(c, rec, visited, depth + 1)
      if (f.required) throw badRequest('Failed to delete record. Make sure that the record is not part of a required relation reference.')
    }
    await this.update(c, rec, { ...rec, [f.name]: Array.isArray(current) ? remaining : '' }, { skipValidation: true })
  }

  /** Runs `fn` in the (joined) transaction; on failure removes new uploads and fires the error hook. */
  private async guard<T>(c: Collection, e: RecordEvent | Omit<RecordEvent, 'next'>, _message: string, opts: WriteOptions, fn: () => Promise<T>): Promise<T> {
    try {
      return await this.deps.store.transaction(fn)
    } catch (error) {
      if (opts.uploads?.length) await this.removeFiles(c, String(e.record.id), opts.uploads.map((u) => u.name))
      const hook = e.type === 'create' ? this.deps.hooks.onRecordAfterCreateError : e.type === 'update' ? this.deps.hooks.onRecordAfterUpdateError : this.deps.hooks.onRecordAfterDeleteError
      if (hook.length) await hook.trigger({ collection: c, record: e.record, type: e.type, error }, undefined, tagsOf(c)).catch(() => {})
      throw error
    }
  }

  /** The change's outbox row (same transaction) and, after commit, its realtime fan-out. */
  private async recordChange(action: ChangeEvent['action'], c: Collection, rec: RecordData): Promise<void> {
    const record = { ...rec }
    await this.deps.outbox.append({ type: `record.${action}`, collectionId: c.id, collectionName: c.name, subject: String(rec.id), data: record })
    this.afterCommit(() => this.deps.onCommitted({ action, collectionId: c.id, collectionName: c.name, record }))
  }

  private afterCommit(fn: () => unknown): void {
    this.deps.store.afterCommit(async () => { await fn() })
  }

  private stampDates(c: Collection, rec: RecordData, isNew: boolean) {
    const now = formatDate(this.deps.clock.now())
    for (const f of c.fields) {
      if (f.type === 'autodate' && ((isNew && f.onCreate) || (!isNew && f.onUpdate))) rec[f.name] = now
    }
  }

  private async validate(c: Collection, record: RecordModel, before: RecordData | null, opts: WriteOptions, message: string): Promise<void> {
    const errors: ErrorData = { ...opts.errors }
    if (!opts.skipValidation) {
      await this.validateFields(c, record.data, before, errors)
      if (!before && !errors.id && await this.idTakenByOtherAuth(c, record.id)) errors.id = fieldError(ErrorCode.notUnique, 'Value must be unique.')
    }
    if (hasErrors(errors)) throw badRequest(message, errors)
    if (this.deps.hooks.onRecordValidate.length) {
      await this.deps.hooks.onRecordValidate.trigger({ collection: c, record, type: before ? 'update' : 'create' }, undefined, tagsOf(c))
    }
  }

  private async validateFields(c: Collection, rec: RecordData, before: RecordData | null, errors: ErrorData) {
    const db: Executor = this.deps.store
    const existingIds = async (collectionId: string, ids: string[]) => {
      const target = this.deps.collections.find(collectionId)
      if (!target || !ids.length) return new Set<string>()
      const rows = await db.all<{ id: string }>(sql`SELECT "id" FROM ${this.deps.store.dialect.ident(target.name)} WHERE "id" IN (${sql.join(ids.map((i) => sql`${i}`))})`)
      return new Set(rows.map((r) => r.id))
    }
    for (const f of c.fields) {
      if (errors[f.name] || f.type === 'password' || f.type === 'autodate') continue
      if (c.type === 'auth' && f.name === 'tokenKey') continue
      // Unchanged values are not re-validated (options may have tightened since they were stored).
      if (before && JSON.stringify(before[f.name]) === JSON.stringify(rec[f.name]) && f.name !== 'id') continue
      const err = await fieldKind(f.type)!.validate(f as never, rec[f.name], { isNew: !before, existingIds })
      if (err) errors[f.name] = err
    }
  }

  /** Auth record ids are unique across all auth collections, so a token's id names one principal. */
  private async idTakenByOtherAuth(c: Collection, id: string): Promise<boolean> {
    if (c.type !== 'auth') return false
    for (const other of this.deps.collections.all()) {
      if (other.type !== 'auth' || other.id === c.id) continue
      if (await loadRecord(this.deps.store, other, id, this.deps.store.dialect)) return true
    }
    return false
  }

  private async mapUnique(c: Collection, message: string, write: () => Promise<void>): Promise<void> {
    try {
      await write()
    } catch (err) {
      if (!isUniqueViolation(err)) throw err
      const data: ErrorData = {}
      for (const name of uniqueViolationFields(err, c)) data[name] = fieldError(ErrorCode.notUnique, 'Value must be unique.')
      throw new ApiError(400, message, data, { cause: err })
    }
  }

  private async writeUploads(c: Collection, recordId: string, uploads: Upload[] = []) {
    for (const u of uploads) await this.deps.files.put(`${c.id}/${recordId}/${u.name}`, uploadContent(u.file))
  }

  async removeFiles(c: Collection, recordId: string, names: string[]) {
    for (const n of names) {
      await this.deps.files.delete(`${c.id}/${recordId}/${n}`).catch(() => {})
      // Its thumbnails (src/files/thumbs.ts) go with it.
      await this.deps.files.deletePrefix(`${c.id}/${recordId}/thumbs_${n}/`).catch(() => {})
    }
  }
}

/** After-commit hooks get their own copy: later changes by the caller must not show through. */
function snapshot(c: Collection, record: RecordModel, before: RecordData | null = null): RecordModel {
  return new RecordModel(c, { ...record.data }, before)
}

function fileNames(c: Collection, rec: RecordData): string[] {
  return c.fields.filter((f) => f.type === 'file').flatMap((f) => {
    const v = rec[f.name]
    return Array.isArray(v) ? v as string[] : v ? [v as string] : []
  })
}
