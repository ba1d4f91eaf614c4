// Request body parsing: bounded JSON, multipart with PocketBase's type inference and @jsonPayload.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { ApiError, badRequest, tooLarge } from '../core/errors.ts'
import type { RecordInput, UploadedFile } from '../core/records/input.ts'
import { assertNoNul } from './nul-guard.ts'
import { removeSpooled, spoolPart } from './upload-spool.ts'
import { unwritableReason } from '../store/storage-errors.ts'

export const MAX_JSON_DEPTH = 64

/** Rejects pathological nesting without recursion (a recursive walk is itself a stack-overflow risk). */
export function assertJsonDepth(value: unknown, max = MAX_JSON_DEPTH): void {
  const stack: [unknown, number][] = [[value, 1]]
  while (stack.length) {
    const [v, depth] = stack.pop()!
    if (!v || typeof v !== 'object') continue
    if (depth > max) throw badRequest(`The request body is nested too deeply (max ${max} levels).`)
    for (const child of Object.values(v as object)) if (child && typeof child === 'object') stack.push([child, depth + 1])
  }
}

const POISON_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

/** JSON.parse that drops prototype-polluting keys, so they can never reach an object merge. */
export function safeJsonParse(text: string): unknown {
  return JSON.parse(text, (key, value) => (POISON_KEYS.has(key) ? undefined : value))
}

/** PocketBase's multipart value inference: "true"/"false" → bool; canonical numbers → number. */
export function inferFormValue(raw: string): unknown {
  if (raw === 'true') return true
  if (raw === 'false') return false
  if (raw !== '' && /^-?\d+(\.\d+)?$/.test(raw) && String(Number(raw)) === raw) return Number(raw)
  return raw
}

export function registerBodyParsers(app: FastifyInstance, jsonLimit: number) {
  // text/plain would reach handlers as a string; refused as an unsupported type instead (error-handler.ts).
  app.removeContentTypeParser('text/plain')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: jsonLimit }, (_req, body, done) => {
    const text = String(body)
    if (text.trim() === '') return done(null, {})
    try {
      const parsed = safeJsonParse(text)
      assertJsonDepth(parsed)
      done(null, parsed)
    } catch (err) {
      done(err instanceof Error && 'status' in err ? err : badRequest('Invalid JSON body.'), undefined)
    }
  })
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: jsonLimit }, (_req, body, done) => {
    const out: Record<string, unknown> = {}
    for (const [k, v] of new URLSearchParams(String(body))) addFormValue(out, k, inferFormValue(v))
    done(null, out)
  })
}

export function addFormValue(target: Record<string, unknown>, key: string, value: unknown) {
  if (POISON_KEYS.has(key)) return
  if (!(key in target)) target[key] = value
  else if (Array.isArray(target[key])) (target[key] as unknown[]).push(value)
  else target[key] = [target[key], value]
}

export interface MultipartOptions {
  /** Whole multipart body limit (all parts together). */
  maxBytes: number
  /** Temp directory the file parts are streamed to (src/http/upload-spool.ts). */
  spoolDir: string
  /** Max bytes kept of a file part by its part name (a field's maxSize; 0 = keep nothing); default: no limit. */
  maxFileSize?: (partName: string) => number
}

/**
 * Reads a record-write body: JSON, or multipart with each file spooled to a temp file. The caller must
 * `removeSpooled(input.files.values())` once done, whatever happens; on a failure here nothing is left behind.
 */
export async function readRecordInput(req: FastifyRequest, opts: MultipartOptions): Promise<RecordInput> {
  if (!req.isMultipart()) {
    const body = req.body
    if (body === undefined || body === null) return { body: {}, files: new Map() }
    if (typeof body !== 'object' || Array.isArray(body)) throw badRequest('The request body must be a JSON object.')
    return { body: body as Record<string, unknown>, files: new Map() }
  }
  const body: Record<string, unknown> = {}
  const payloads: unknown[] = []
  const files = new Map<string, UploadedFile[]>()
  let total = 0
  // @fastify/multipart limits each file, not the request: count every part against the body limit.
  const account = (bytes: number) => {
    total += bytes
    if (total > opts.maxBytes) throw tooLarge()
  }
  try {
    for await (const part of req.parts()) {
      if (part.type === 'file') {
        const spooled = await spoolPart(part.file, opts.spoolDir, opts.maxFileSize?.(part.fieldname) ?? Infinity)
        if (!files.has(part.fieldname)) files.set(part.fieldname, [])
        files.get(part.fieldname)!.push({ filename: part.filename || 'file', mimetype: part.mimetype, spooled })
        account(spooled.size)
      } else {
        const text = String(part.value)
        account(text.length)
        if (part.fieldname === '@jsonPayload') {
          try { payloads.push(safeJsonParse(text)) } catch { throw badRequest('Invalid @jsonPayload.') }
        } else addFormValue(body, part.fieldname, inferFormValue(text))
      }
    }
  } catch (err) {
    await removeSpooled(files.values())
    const code = (err as { code?: string }).code
    if (code === 'FST_REQ_FILE_TOO_LARGE' || code === 'FST_PARTS_LIMIT' || code === 'FST_FILES_LIMIT' || code === 'FST_FIELDS_LIMIT') throw tooLarge()
    if (err instanceof ApiError || typeof (err as { statusCode?: unknown }).statusCode === 'number') throw err
    // busboy's own parse errors ("Boundary not found", "Unexpected end of form") are client errors, not 500s.
    if (unwritableReason(err)) throw err // disk full while spooling: the error handler's 507, not a client error
    throw badRequest('Invalid multipart body.', {}, err)
  }
  try {
    for (const p of payloads) {
      assertJsonDepth(p)
      if (p && typeof p === 'object' && !Array.isArray(p)) Object.assign(body, p)
    }
    assertNoNul(body)
  } catch (err) {
    await removeSpooled(files.values())
    throw err
  }
  return { body, files }
}
