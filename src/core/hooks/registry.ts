// HookRegistry: every hook Basalt fires, by PocketBase's JS hook name, and the `app.onX(handler, ...tags)` API.
import { Hook, type HookEvent, type HookHandler } from './hook.ts'
import type {
  CollectionEvent, FileDownloadRequestEvent, LifecycleEvent, MailerEvent, RealtimeConnectRequestEvent,
  RealtimeMessageEvent, RealtimeSubscribeRequestEvent, RecordAuthRequestEvent, RecordEnrichEvent, RecordErrorEvent,
  RecordEvent, RecordRequestEvent, RecordsListRequestEvent, SettingsEvent,
} from './events.ts'

export function createHooks(timeoutMs: () => number = () => 0) {
  const h = <E extends HookEvent>(name: string) => new Hook<E>(name, timeoutMs)
  return {
    onBootstrap: h<LifecycleEvent>('onBootstrap'),
    onServe: h<LifecycleEvent>('onServe'),
    onTerminate: h<LifecycleEvent>('onTerminate'),

    onRecordEnrich: h<RecordEnrichEvent>('onRecordEnrich'),
    onRecordValidate: h<RecordEvent>('onRecordValidate'),
    onRecordCreate: h<RecordEvent>('onRecordCreate'),
    onRecordCreateExecute: h<RecordEvent>('onRecordCreateExecute'),
    onRecordAfterCreateSuccess: h<RecordEvent>('onRecordAfterCreateSuccess'),
    onRecordAfterCreateError: h<RecordErrorEvent>('onRecordAfterCreateError'),
    onRecordUpdate: h<RecordEvent>('onRecordUpdate'),
    onRecordUpdateExecute: h<RecordEvent>('onRecordUpdateExecute'),
    onRecordAfterUpdateSuccess: h<RecordEvent>('onRecordAfterUpdateSuccess'),
    onRecordAfterUpdateError: h<RecordErrorEvent>('onRecordAfterUpdateError'),
    onRecordDelete: h<RecordEvent>('onRecordDelete'),
    onRecordDeleteExecute: h<RecordEvent>('onRecordDeleteExecute'),
    onRecordAfterDeleteSuccess: h<RecordEvent>('onRecordAfterDeleteSuccess'),
    onRecordAfterDeleteError: h<RecordErrorEvent>('onRecordAfterDeleteError'),

    onRecordsListRequest: h<RecordsListRequestEvent>('onRecordsListRequest'),
    onRecordViewRequest: h<RecordRequestEvent>('onRecordViewRequest'),
    onRecordCreateRequest: h<RecordRequestEvent>('onRecordCreateRequest'),
    onRecordUpdateRequest: h<RecordRequestEvent>('onRecordUpdateRequest'),
    onRecordDeleteRequest: h<RecordRequestEvent>('onRecordDeleteRequest'),

    onRecordAuthRequest: h<RecordAuthRequestEvent>('onRecordAuthRequest'),
    onRecordAuthWithPasswordRequest: h<RecordAuthRequestEvent>('onRecordAuthWithPasswordRequest'),
    onRecordAuthWithOTPRequest: h<RecordAuthRequestEvent>('onRecordAuthWithOTPRequest'),
    onRecordAuthWithOAuth2Request: h<RecordAuthRequestEvent>('onRecordAuthWithOAuth2Request'),
    onRecordAuthRefreshRequest: h<RecordAuthRequestEvent>('onRecordAuthRefreshRequest'),

    onFileDownloadRequest: h<FileDownloadRequestEvent>('onFileDownloadRequest'),
    onRealtimeConnectRequest: h<RealtimeConnectRequestEvent>('onRealtimeConnectRequest'),
    onRealtimeSubscribeRequest: h<RealtimeSubscribeRequestEvent>('onRealtimeSubscribeRequest'),
    onRealtimeMessageSend: h<RealtimeMessageEvent>('onRealtimeMessageSend'),

    onMailerSend: h<MailerEvent>('onMailerSend'),
    onSettingsReload: h<SettingsEvent>('onSettingsReload'),
    onCollectionAfterCreateSuccess: h<CollectionEvent>('onCollectionAfterCreateSuccess'),
    onCollectionAfterUpdateSuccess: h<CollectionEvent>('onCollectionAfterUpdateSuccess'),
    onCollectionAfterDeleteSuccess: h<CollectionEvent>('onCollectionAfterDeleteSuccess'),
  }
}

export type HookRegistry = ReturnType<typeof createHooks>
export type HookName = keyof HookRegistry
type EventOf<K extends HookName> = HookRegistry[K] extends Hook<infer E> ? E : never

/** `app.onRecordCreate(handler, ...collectionNamesOrIds)`, one method per hook (PocketBase's JS API). */
export type HookMethods = { [K in HookName]: (handler: HookHandler<EventOf<K>>, ...tags: string[]) => string }

export function hookMethods(hooks: HookRegistry): HookMethods {
  const out = {} as Record<string, unknown>
  for (const name of Object.keys(hooks) as HookName[]) {
    out[name] = (handler: HookHandler<never>, ...tags: string[]) => (hooks[name] as Hook<HookEvent>).bind(handler as never, { tags })
  }
  return out as HookMethods
}

/** Adds `json()` and `response` to a request event: `e.json(status, body)` records the answer on `e`. */
export function withResponder<T extends object>(e: T): T & { json(status: number, body: unknown): void; response?: { status: number; body: unknown } } {
  const out = e as T & { json(status: number, body: unknown): void; response?: { status: number; body: unknown } }
  out.json = (status, body) => { out.response = { status, body } }
  return out
}
