// Every hook event type in one place (names and members follow PocketBase's JS hooks).
import type { Collection } from '../collections/types.ts'
import type { RecordModel } from '../records/record-model.ts'
import type { AuthInfo, RequestInfo } from '../../rules/request-info.ts'
import type { HookEvent } from './hook.ts'

/** Set by request hooks that answer the request themselves instead of calling `e.next()`. */
export interface CustomResponse { status: number; body: unknown }

/** Model hooks: a record write, whoever asked for it (HTTP, batch, auth flows, app code, cascades). */
export interface RecordEvent extends HookEvent {
  collection: Collection
  record: RecordModel
  /** 'create' | 'update' | 'delete' */
  type: 'create' | 'update' | 'delete'
}

export interface RecordErrorEvent extends RecordEvent {
  error: unknown
}

/** Base of every request hook: who asks and how; `json()` ends the request with a custom response. */
export interface RequestEvent extends HookEvent {
  requestInfo: RequestInfo
  auth: AuthInfo | null
  /** Ends the request with this response (do not call `next()` after it). */
  json(status: number, body: unknown): void
  response?: CustomResponse
}

export interface RecordRequestEvent extends RequestEvent {
  collection: Collection
  /** The record as it will be written (create/update) or as stored (view/delete). */
  record: RecordModel
}

export interface RecordsListRequestEvent extends RequestEvent {
  collection: Collection
  /** The page's records (after next()): may be changed or filtered before serialization. */
  records: RecordModel[]
  /** The list result (after next()). */
  result: { page: number; perPage: number; totalItems: number; totalPages: number; items: unknown[] } | null
}

export interface RecordEnrichEvent extends HookEvent {
  collection: Collection
  record: RecordModel
  requestInfo: RequestInfo
}

export interface RecordAuthRequestEvent extends RequestEvent {
  collection: Collection
  /** The authenticated record (for auth-with-* requests, set once next() found it). */
  record: RecordModel | null
  /** 'password' | 'otp' | 'oauth2' | 'refresh' | … */
  authMethod: string
  /** Auth-with-password: the identity submitted. */
  identity?: string
  token?: string
  meta?: unknown
}

export interface FileDownloadRequestEvent extends RequestEvent {
  collection: Collection
  record: RecordModel
  fileField: string
  servedName: string
}

export interface RealtimeConnectRequestEvent extends RequestEvent {
  clientId: string
}

export interface RealtimeSubscribeRequestEvent extends RequestEvent {
  clientId: string
  subscriptions: string[]
}

export interface RealtimeMessageEvent extends HookEvent {
  clientId: string
  auth: AuthInfo | null
  message: { name: string; data: string }
}

export interface MailMessage { to: string; subject: string; html: string; text?: string }

export interface MailerEvent extends HookEvent {
  message: MailMessage
}

export interface SettingsEvent extends HookEvent {
  settings: Record<string, unknown>
  oldSettings?: Record<string, unknown>
}

export interface CollectionEvent extends HookEvent {
  collection: Collection
  oldCollection?: Collection
}

export interface LifecycleEvent extends HookEvent {
  /** `onServe`: the Fastify instance (routes may be added before it listens). */
  server?: unknown
}
