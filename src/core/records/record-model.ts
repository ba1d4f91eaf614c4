// RecordModel: the record as hook and app code sees it (PocketBase's `e.record.get/set` surface).
import type { Collection } from '../collections/types.ts'
import type { RecordData } from '../../rules/request-info.ts'

/**
 * Wraps a record's plain data. `set` changes the data the write path will store (or, in enrich
 * hooks, what the client receives). Fields not in the schema can be set only in enrich hooks
 * (`withCustomData`), where they are sent to the client as computed fields.
 */
export class RecordModel {
  private readonly hidden = new Set<string>()
  private readonly unhidden = new Set<string>()
  private customData = false

  constructor(
    private readonly coll: Collection,
    readonly data: RecordData,
    private readonly originalData: RecordData | null = null,
  ) {}

  get id(): string { return String(this.data.id ?? '') }
  collection(): Collection { return this.coll }
  tableName(): string { return this.coll.name }
  isNew(): boolean { return this.originalData === null }
  /** The stored values before this change (a copy); for new records the record itself. */
  original(): RecordModel { return new RecordModel(this.coll, { ...(this.originalData ?? this.data) }, null) }

  get(name: string): unknown { return this.data[name] }
  set(name: string, value: unknown): void {
    if (!this.customData && name !== 'expand' && !this.coll.fields.some((f) => f.name === name)) {
      throw new Error(`Unknown field "${name}" of ${this.coll.name}; use record.withCustomData(true) in an enrich hook to add computed fields.`)
    }
    this.data[name] = value
  }
  load(values: Record<string, unknown>): void { for (const [k, v] of Object.entries(values)) this.set(k, v) }

  getString(name: string): string { const v = this.data[name]; return v === null || v === undefined ? '' : String(v) }
  getInt(name: string): number { return Math.trunc(Number(this.data[name]) || 0) }
  getFloat(name: string): number { return Number(this.data[name]) || 0 }
  getBool(name: string): boolean { return this.data[name] === true }
  getStringSlice(name: string): string[] {
    const v = this.data[name]
    return Array.isArray(v) ? v.map(String) : v === '' || v === null || v === undefined ? [] : [String(v)]
  }
  email(): string { return this.getString('email') }
  verified(): boolean { return this.getBool('verified') }

  /** Enrich hooks: hide a field from this response / show a hidden one. */
  hide(...names: string[]): this { for (const n of names) { this.hidden.add(n); this.unhidden.delete(n) } return this }
  unhide(...names: string[]): this { for (const n of names) { this.unhidden.add(n); this.hidden.delete(n) } return this }
  /** Enrich hooks: allow `set` of fields the schema does not have (computed fields). */
  withCustomData(on: boolean): this { this.customData = on; return this }

  /** The fields an enrich hook asked to hide or unhide (read by the serializer). */
  visibilityChanges(): { hidden: ReadonlySet<string>; unhidden: ReadonlySet<string> } {
    return { hidden: this.hidden, unhidden: this.unhidden }
  }

  toJSON(): RecordData { return { ...this.data } }
}
