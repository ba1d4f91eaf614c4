// Turns a create/update body (JSON or multipart) into new field values: coercion, modifiers, uploads.
import type { Collection, Field, FileField } from '../collections/types.ts'
import { isMultiValued } from '../collections/types.ts'
import { applyModifier, autogenerate, fieldKind, maxFileSize, mimeAllowed } from '../collections/fields/index.ts'
import { fieldError, type ErrorData } from '../errors.ts'
import { storedFileName } from '../../files/names.ts'
import { extensionForMime, sniffMime } from '../../files/serve.ts'
import { effectiveMime } from '../../files/sniff.ts'
import type { RecordData } from '../../rules/request-info.ts'
import { uploadHead, uploadSize, type UploadedFile } from './uploaded-file.ts'
import { ErrorCode } from '../error-codes.ts'

export type { UploadedFile } from './uploaded-file.ts'

export interface RecordInput {
  body: Record<string, unknown>
  /** Uploaded files by multipart part name (`avatar`, `documents+`, `+documents`). */
  files: Map<string, UploadedFile[]>
}

export interface ResolvedInput {
  /** New values of the submitted fields, modifiers applied. */
  values: RecordData
  errors: ErrorData
  /** Files to write: field -> stored name -> content. */
  uploads: { field: string; name: string; file: UploadedFile }[]
  /** Stored file names that the change drops (deleted after commit). */
  removedFiles: string[]
  /** Keys the client sent that only auth flows interpret. */
  auth: { password?: unknown; passwordConfirm?: unknown; oldPassword?: unknown }
}

type Op = 'set' | 'prepend' | 'append' | 'remove'
const AUTH_ONLY_KEYS = ['password', 'passwordConfirm', 'oldPassword'] as const
const AUTOGENERATE = ':autogenerate'

function parseKey(key: string): { name: string; op: Op } {
  if (key.startsWith('+')) return { name: key.slice(1), op: 'prepend' }
  if (key.endsWith('+')) return { name: key.slice(0, -1), op: 'append' }
  if (key.endsWith('-')) return { name: key.slice(0, -1), op: 'remove' }
  return { name: key, op: 'set' }
}

/** Which fields a caller may write through the body. */
function writable(c: Collection, field: Field, superuser: boolean): boolean {
  if (field.type === 'autodate' || field.type === 'password') return false
  if (c.type === 'auth' && field.name === 'tokenKey') return false
  if (field.hidden && !superuser) return false
  return true
}

export function resolveInput(c: Collection, current: RecordData | null, input: RecordInput, superuser: boolean): ResolvedInput {
  const out: ResolvedInput = { values: {}, errors: {}, uploads: [], removedFiles: [], auth: {} }
  if (c.type === 'auth') for (const k of AUTH_ONLY_KEYS) if (k in input.body) out.auth[k] = input.body[k]

  // Shorter keys first, so `tags` is set before `tags+` appends to it (PocketBase's order).
  const keys = Object.keys(input.body).sort((a, b) => a.length - b.length)
  const valueOf = (f: Field) => (f.name in out.values ? out.values[f.name] : current ? current[f.name] : fieldKind(f.type)!.zeroValue(f as never))
  for (const key of keys) {
    if (key.endsWith(AUTOGENERATE)) {
      // `field:autogenerate` → submitted value + a string from the field's autogeneratePattern.
      const field = c.fields.find((f) => f.name === key.slice(0, -AUTOGENERATE.length))
      if (field?.type === 'text' && field.name !== 'id' && writable(c, field, superuser)) {
        out.values[field.name] = autogenerate(field, String(fieldKind('text')!.normalize(field as never, input.body[key])))
      }
      continue
    }
    const { name, op } = parseKey(key)
    const field = c.fields.find((f) => f.name === name)
    if (!field || !writable(c, field, superuser)) continue
    if (field.type === 'file') continue // handled with the uploads below
    const raw = input.body[key]
    if (op === 'set') { out.values[name] = fieldKind(field.type)!.normalize(field as never, raw); continue }
    const modifier = field.type === 'number' ? (op === 'remove' ? 'subtract' : 'add') : op
    if (field.type === 'number' && op === 'prepend') continue
    const res = applyModifier(field, valueOf(field), modifier, raw)
    if ('error' in res) out.errors[name] = res.error
    else out.values[name] = res.value
  }

  for (const field of c.fields) {
    if (field.type !== 'file' || !writable(c, field, superuser)) continue
    resolveFileField(field, current, input, out)
  }
  return out
}

function asNames(v: unknown): string[] {
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string' && x !== '')
  return typeof v === 'string' && v ? [v] : []
}

function resolveFileField(field: FileField, current: RecordData | null, input: RecordInput, out: ResolvedInput) {
  const name = field.name
  const existing = asNames(current?.[name])
  const body = input.body
  const uploadsFor = (key: string) => input.files.get(key) ?? []
  const plain = uploadsFor(name), appended = uploadsFor(name + '+'), prepended = uploadsFor('+' + name)
  const touched = name in body || (name + '-') in body || plain.length || appended.length || prepended.length
  if (!touched) return

  // Kept names must be files the record already has; anything else is ignored.
  let kept = name in body ? asNames(body[name]).filter((n) => existing.includes(n)) : plain.length ? [] : existing
  if ((name + '-') in body) {
    const drop = new Set(asNames(body[name + '-']))
    kept = kept.filter((n) => !drop.has(n))
  }
  const stage = (files: UploadedFile[]) => files.map((file) => {
    if (uploadSize(file) > maxFileSize(field)) {
      out.errors[name] = fieldError(ErrorCode.fileSizeLimit, `Failed to upload "${file.filename}" - the maximum allowed file size is ${maxFileSize(field)} bytes.`, { maxSize: maxFileSize(field) })
    } else if (field.mimeTypes?.length) {
      // Judged by the bytes, not the client's claim (src/files/sniff.ts).
      const type = effectiveMime(file.mimetype, uploadHead(file))
      if (!mimeAllowed(field, type)) {
        out.errors[name] = fieldError(ErrorCode.invalidMimeType, `"${file.filename}" content is ${type}; the mime type must be one of: ${field.mimeTypes.join(', ')}.`)
      }
    }
    let stored = storedFileName(file.filename)
    // A name without extension gets one from the content (or the declared type), as PocketBase does.
    if (!stored.includes('.')) {
      const ext = extensionForMime(sniffMime(uploadHead(file)) ?? file.mimetype)
      if (ext) stored += '.' + ext
    }
    out.uploads.push({ field: name, name: stored, file })
    return stored
  })
  let next = [...stage(prepended), ...kept, ...stage(plain), ...stage(appended)]
  if (!isMultiValued(field) && next.length > 1) next = next.slice(-1)
  out.values[name] = isMultiValued(field) ? next : (next[0] ?? '')
  const nextSet = new Set(next)
  out.removedFiles.push(...existing.filter((n) => !nextSet.has(n)))
  // Uploads that did not survive (single-file field given several) are never written.
  out.uploads = out.uploads.filter((u) => u.field !== name || nextSet.has(u.name))
}
