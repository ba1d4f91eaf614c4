// The collection model: collections, their fields and auth options, as PocketBase shapes them in JSON.

export type CollectionType = 'base' | 'auth' | 'view'

export type FieldType =
  | 'text' | 'number' | 'bool' | 'email' | 'url' | 'editor' | 'date' | 'autodate'
  | 'select' | 'relation' | 'json' | 'file' | 'password' | 'geoPoint'

interface FieldCommon {
  id: string
  name: string
  system: boolean
  hidden: boolean
  presentable: boolean
  help?: string
}

export interface TextField extends FieldCommon {
  type: 'text'; required: boolean; min: number; max: number; pattern: string
  autogeneratePattern: string; primaryKey: boolean
}
export interface NumberField extends FieldCommon {
  type: 'number'; required: boolean; min: number | null; max: number | null; onlyInt: boolean
}
export interface BoolField extends FieldCommon { type: 'bool'; required: boolean }
export interface EmailField extends FieldCommon {
  type: 'email'; required: boolean; exceptDomains: string[] | null; onlyDomains: string[] | null
}
export interface UrlField extends FieldCommon {
  type: 'url'; required: boolean; exceptDomains: string[] | null; onlyDomains: string[] | null
}
export interface EditorField extends FieldCommon {
  type: 'editor'; required: boolean; maxSize: number; convertURLs: boolean
}
export interface DateField extends FieldCommon { type: 'date'; required: boolean; min: string; max: string }
export interface AutodateField extends FieldCommon { type: 'autodate'; onCreate: boolean; onUpdate: boolean }
export interface SelectField extends FieldCommon {
  type: 'select'; required: boolean; values: string[]; maxSelect: number
}
export interface RelationField extends FieldCommon {
  type: 'relation'; required: boolean; collectionId: string; cascadeDelete: boolean
  minSelect: number; maxSelect: number
}
export interface JsonField extends FieldCommon { type: 'json'; required: boolean; maxSize: number }
export interface FileField extends FieldCommon {
  type: 'file'; required: boolean; maxSelect: number; maxSize: number; mimeTypes: string[] | null
  thumbs: string[] | null; protected: boolean
}
export interface PasswordField extends FieldCommon {
  type: 'password'; required: boolean; min: number; max: number; pattern: string; cost: number
}

/** `{lon, lat}` in degrees; `{0, 0}` is empty. */
export interface GeoPointField extends FieldCommon { type: 'geoPoint'; required: boolean }

export type Field =
  | GeoPointField | TextField | NumberField | BoolField | EmailField | UrlField | EditorField | DateField
  | AutodateField | SelectField | RelationField | JsonField | FileField | PasswordField

export interface TokenConfig {
  duration: number
  /** Signing secret; never serialized to API clients. */
  secret: string
}

export interface EmailTemplate { subject: string; body: string }

/** Basalt extension (docs/sessions.md): browser cookie sessions with CSRF protection; durations in seconds. */
export interface CookieSessionOptions {
  enabled: boolean
  /** `Secure` + `__Host-` cookies; turn off only for http://localhost development. */
  secure: boolean
  /** Lifetime of the access JWT held in the session cookie. */
  accessDuration: number
  /** Idle timeout: a refresh token unused for this long expires. */
  refreshDuration: number
  /** Absolute timeout of a login (a refresh-token family), however often it is refreshed. */
  maxDuration: number
}

export interface AuthOptions {
  authRule: string | null
  manageRule: string | null
  passwordAuth: { enabled: boolean; identityFields: string[] }
  oauth2: { enabled: boolean; mappedFields: Record<string, string>; providers: unknown[] }
  mfa: { enabled: boolean; duration: number; rule: string }
  otp: { enabled: boolean; duration: number; length: number; emailTemplate: EmailTemplate }
  authAlert: { enabled: boolean; emailTemplate: EmailTemplate }
  authToken: TokenConfig
  passwordResetToken: TokenConfig
  emailChangeToken: TokenConfig
  verificationToken: TokenConfig
  fileToken: TokenConfig
  verificationTemplate: EmailTemplate
  resetPasswordTemplate: EmailTemplate
  confirmEmailChangeTemplate: EmailTemplate
  /** Optional: collections stored by older versions lack it (read through `cookieSessionOptions`). */
  cookieSessions?: CookieSessionOptions
}

export interface Collection {
  id: string
  name: string
  type: CollectionType
  system: boolean
  fields: Field[]
  indexes: string[]
  listRule: string | null
  viewRule: string | null
  createRule: string | null
  updateRule: string | null
  deleteRule: string | null
  created: string
  updated: string
  /** Present only on auth collections. */
  auth?: AuthOptions
  /** Present only on view collections: the SELECT the collection's SQL view is defined by (docs/views.md). */
  viewQuery?: string
  /**
   * Basalt extension (docs/files.md): who may download files of non-protected file fields.
   * Absent/`"public"`: anyone with the URL, as PocketBase. `"viewRule"`: callers passing the view rule.
   */
  fileAccess?: FileAccess
}

export type FileAccess = 'public' | 'viewRule'
export const FILE_ACCESS_MODES: readonly FileAccess[] = ['public', 'viewRule']

export type RuleName = 'listRule' | 'viewRule' | 'createRule' | 'updateRule' | 'deleteRule'

/** Read access to the current schema, by collection id or name (names case-insensitive). */
export interface SchemaLookup {
  find(idOrName: string): Collection | undefined
  all(): readonly Collection[]
}

export const SUPERUSERS_ID = 'pbc_3142635823'
export const SUPERUSERS_NAME = '_superusers'
export const USERS_ID = '_pb_users_auth_'
export const ROLES_ID = '_basalt_roles_'
export const ROLES_NAME = '_roles'

export function isMultiValued(field: Field): boolean {
  return (field.type === 'select' || field.type === 'relation' || field.type === 'file') && field.maxSelect > 1
}

export function findField(collection: Collection, name: string): Field | undefined {
  return collection.fields.find((f) => f.name === name)
}
