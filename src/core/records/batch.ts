// Batch (PocketBase `POST /api/batch`): record create/update/upsert/delete sub-requests in ONE transaction.
import type { Collection } from '../collections/types.ts'
import type { CollectionService } from '../collections/collection-service.ts'
import { ApiError, badRequest, fieldError, forbidden, notFound, type ErrorData } from '../errors.ts'
import { HookResponse } from '../hooks/hook-response.ts'
import type { Store } from '../../store/types.ts'
import type { RequestInfo } from '../../rules/request-info.ts'
import type { Settings } from '../../settings/settings.ts'
import type { RecordInput, UploadedFile } from './input.ts'
import { loadRecord } from './record-io.ts'
import type { RecordService } from './record-service.ts'
import { ErrorCode } from '../error-codes.ts'

export interface BatchRequest { method: string; url: string; headers?: Record<string, string>; body?: Record<string, unknown> }
export interface BatchResponse { status: number; body: unknown }

type Action = { kind: 'create' | 'upsert'; collection: Collection } | { kind: 'update' | 'delete'; collection: Collection; id: string }

const RECORDS_PATH = /^\/api\/collections\/([^/?#]+)\/records(?:\/([^/?#]+))?\/?$/
const RECORD_ID = /^[\w-]{1,255}$/
export const DEFAULT_MAX_BATCH_BODY = 128 * 1024 * 1024

export interface BatchDeps { store: Store; collections: Pick<CollectionService, 'find'>; records: RecordService }

/** Checks the envelope before anything runs: enabled, 1..maxRequests entries, each an object with method and url. */
export function validateBatch(settings: Settings['batch'], body: Record<string, unknown>): BatchRequest[] {
  if (!settings.enabled) throw forbidden('Batch requests are not allowed.')
  const list = body.requests
  if (!Array.isArray(list) || list.length === 0) throw badRequest('Something went wrong while processing your request.', { requests: fieldError(ErrorCode.required, 'Cannot be blank.') })
  if (list.length > settings.maxRequests) {
    throw badRequest('Something went wrong while processing your request.', {
      requests: fieldError(ErrorCode.lengthTooLong, `The length must be no more than ${settings.maxRequests}.`, { max: settings.maxRequests }),
    })
  }
  const errors: ErrorData = {}
  list.forEach((r, i) => {
    const ok = r && typeof r === 'object' && !Array.isArray(r) && typeof r.method === 'string' && typeof r.url === 'string' && r.url.length <= 2048 &&
      (r.body === undefined || r.body === null || (typeof r.body === 'object' && !Array.isArray(r.body)))
    if (!ok) errors[String(i)] = fieldError(ErrorCode.invalidBatchRequest, 'Each request needs a method, a url and an object body.')
  })
  if (Object.keys(errors).length) throw badRequest('Something went wrong while processing your request.', { requests: errors })
  return list as BatchRequest[]
}

/** Files of sub-request `i`: multipart keys `requests.<i>.<field>` or `requests[<i>].<field>`. */
export function filesOf(files: Map<string, UploadedFile[]>, i: number): Map<string, UploadedFile[]> {
  const out = new Map<string, UploadedFile[]>()
  for (const [key, list] of files) {
    const m = /^requests(?:\.(\d+)|\[(\d+)\])\.(.+)$/.exec(key)
    if (m && Number(m[1] ?? m[2]) === i) out.set(m[3], list)
  }
  return out
}

export class BatchService {
  constructor(private readonly deps: BatchDeps) {}

  /**
   * Runs every sub-request in order inside one transaction with the caller's auth (sub-request
   * Authorization headers are ignored, as in PocketBase) and `@request.context = "batch"`. The first
   * failure rolls everything back and answers 400 naming the failed index with its original error.
   */
  async run(requests: BatchRequest[], files: Map<string, UploadedFile[]>, info: RequestInfo, timeoutMs: number): Promise<BatchResponse[]> {
    const actions = requests.map((r, i) => this.actionOf(r, i))
    const deadline = Date.now() + timeoutMs
    return this.deps.store.transaction(async () => {
      const out: BatchResponse[] = []
      for (let i = 0; i < requests.length; i++) {
        if (timeoutMs > 0 && Date.now() > deadline) throw badRequest('Batch transaction timed out.')
        try {
          out.push(await this.runOne(actions[i], requests[i], filesOf(files, i), info))
        } catch (err) {
          if (!(err instanceof ApiError) || err.status >= 500) throw err
          throw failedAt(i, err.toJSON())
        }
      }
      return out
    })
  }

  /** Which record action a sub-request names; any other route fails as that sub-request's 404. */
  private actionOf(r: BatchRequest, i: number): Action {
    const path = r.url.split('?', 1)[0]
    const m = RECORDS_PATH.exec(path)
    const method = r.method.toUpperCase()
    const c = m ? this.deps.collections.find(safeDecode(m[1])) : undefined
    const id = m?.[2] ? safeDecode(m[2]) : undefined
    if (c && !id && method === 'POST') return { kind: 'create', collection: c }
    if (c && !id && method === 'PUT') return { kind: 'upsert', collection: c }
    if (c && id && RECORD_ID.test(id) && method === 'PATCH') return { kind: 'update', collection: c, id }
    if (c && id && RECORD_ID.test(id) && method === 'DELETE') return { kind: 'delete', collection: c, id }
    const why = m && !c ? 'Missing collection context.' : 'Batch requests may only create, update, upsert or delete records.'
    throw failedAt(i, new ApiError(404, why).toJSON())
  }

  private async runOne(a: Action, r: BatchRequest, files: Map<string, UploadedFile[]>, info: RequestInfo): Promise<BatchResponse> {
    const query = Object.fromEntries(new URLSearchParams(r.url.split('?')[1] ?? ''))
    const read = { expand: query.expand, fields: query.fields }
    const body = r.body ?? {}
    const input: RecordInput = { body, files }
    const sub: RequestInfo = { ...info, context: 'batch', query, body }
    const { records } = this.deps
    let result: unknown
    if (a.kind === 'delete') {
      result = await records.delete(a.collection, a.id, sub)
      return answer(result, 204, null)
    }
    if (a.kind === 'update') result = await records.update(a.collection, a.id, input, read, sub)
    else if (a.kind === 'upsert' && typeof body.id === 'string' && body.id && await loadRecord(this.deps.store, a.collection, body.id, this.deps.store.dialect)) {
      const { id, ...rest } = body
      result = await records.update(a.collection, String(id), { body: rest, files }, read, sub)
    } else result = await records.create(a.collection, input, read, sub)
    return answer(result, 200, result)
  }
}

function answer(result: unknown, status: number, body: unknown): BatchResponse {
  return result instanceof HookResponse ? { status: result.status, body: result.body } : { status, body }
}

function failedAt(index: number, response: unknown): ApiError {
  return badRequest('Batch transaction failed.', {
    requests: { [String(index)]: { code: 'batch_request_failed', message: 'Batch request failed.', response } as never },
  })
}

function safeDecode(s: string): string {
  try { return decodeURIComponent(s) } catch { throw notFound() }
}
