// The FieldKind contract implemented by every field type module.
import type { FieldError } from '../../errors.ts'
import type { ColumnKind } from '../../../store/dialects/types.ts'
import type { Field } from '../types.ts'

export interface FieldValidationContext {
  isNew: boolean
  /** For relation fields: returns which of the given ids exist in the target collection (async DB check supplied by caller). */
  existingIds?: (collectionId: string, ids: string[]) => Promise<Set<string>>
}

export interface OptionsLookup { find(idOrName: string): { id: string } | undefined }

export interface FieldKind<F extends Field = Field> {
  type: F['type']
  /** A complete field definition from partial user input (fills PocketBase defaults; keeps id/name/system/hidden/presentable). */
  withDefaults(input: Partial<F> & { name: string }): F
  /** Validates the field's options when a collection is saved; nested errors keyed by option name, {} if fine. */
  validateOptions(field: F, lookup: OptionsLookup): Record<string, FieldError>
  columnKind(field: F): ColumnKind
  zeroValue(field: F): unknown
  /** Coerces raw input (JSON or multipart-inferred) to the canonical stored/API value. Never throws. */
  normalize(field: F, raw: unknown): unknown
  /** Validates a normalized value. Returns null if valid. */
  validate(field: F, value: unknown, ctx: FieldValidationContext): Promise<FieldError | null> | FieldError | null
  /** DB value (better-sqlite3 row) → API value. */
  fromDb(field: F, raw: unknown): unknown
  /** API value → SQL bind value. */
  toDb(field: F, value: unknown): string | number | null
}
