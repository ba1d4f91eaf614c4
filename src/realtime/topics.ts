// Parses and validates realtime subscription topics (`posts/*`, `posts/ID?options=…`, `@oauth2`).
import { badRequest, fieldError, hasErrors, type ErrorData, type FieldError } from '../core/errors.ts'
import type { Topic, TopicOptions } from './types.ts'
import { findNul } from '../core/nul.ts'
import { ErrorCode } from '../core/error-codes.ts'

export const MAX_TOPICS = 1000
export const MAX_TOPIC_LENGTH = 2500
export const MAX_CLIENT_ID_LENGTH = 255

export type TopicParse = { topic: Topic; error?: undefined } | { topic?: undefined; error: FieldError }

// CR/LF in a topic would end the SSE `event:` line and let the client forge stream fields;
// other control characters have no legitimate use in a topic.
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/
const CUSTOM_TOPIC = /^@[A-Za-z0-9_.-]+$/

const invalidTopic = (why: string) => fieldError(ErrorCode.invalidTopic, why)

/** Parses one subscription string; never throws. */
export function parseTopic(raw: string): TopicParse {
  if (typeof raw !== 'string' || raw === '') return { error: fieldError(ErrorCode.required, 'Missing required value.') }
  if (raw.length > MAX_TOPIC_LENGTH) {
    return { error: fieldError(ErrorCode.lengthTooLong, `The length must be no more than ${MAX_TOPIC_LENGTH}.`) }
  }
  if (CONTROL_CHARS.test(raw)) return { error: invalidTopic('The topic must not contain control characters.') }

  const q = raw.indexOf('?')
  const path = q < 0 ? raw : raw.slice(0, q)
  const options = q < 0 ? emptyOptions() : parseOptions(raw.slice(q + 1))
  if ('code' in options) return { error: options }

  if (path.startsWith('@')) {
    if (!CUSTOM_TOPIC.test(path)) return { error: invalidTopic('Invalid custom topic name.') }
    return { topic: { raw, collection: '', recordId: null, options } }
  }

  const slash = path.indexOf('/')
  const collection = slash < 0 ? path : path.slice(0, slash)
  const rest = slash < 0 ? '*' : path.slice(slash + 1)
  if (collection === '') return { error: invalidTopic('Missing collection.') }
  if (rest === '' || rest.includes('/')) return { error: invalidTopic('Invalid record id.') }
  return { topic: { raw, collection, recordId: rest === '*' ? null : rest, options } }
}

function emptyOptions(): TopicOptions {
  return { query: {}, headers: {} }
}

/** `options=<urlencoded JSON {"query":{…},"headers":{…}}>`; other query params are ignored (as PocketBase). */
function parseOptions(search: string): TopicOptions | FieldError {
  const encoded = new URLSearchParams(search).get('options')
  if (encoded === null || encoded === '') return emptyOptions()
  const bad = fieldError(ErrorCode.invalidOptions, 'Invalid topic options: expected a JSON object {"query":{…},"headers":{…}}.')
  let parsed: unknown
  try {
    parsed = JSON.parse(encoded)
  } catch {
    return bad
  }
  if (!isPlainObject(parsed)) return bad
  // `\u0000` escapes decode to NUL, which PostgreSQL cannot bind (one rule for both stores: refused).
  if (findNul(parsed) !== null) {
    return fieldError(ErrorCode.invalidNul, 'Topic options must not contain NUL (\\u0000) characters.')
  }
  const { query, headers } = parsed
  if ((query != null && !isPlainObject(query)) || (headers != null && !isPlainObject(headers))) return bad
  return {
    query: stringValues(query ?? {}, (k) => k),
    headers: stringValues(headers ?? {}, (k) => k.toLowerCase().replaceAll('-', '_')),
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

// Scalars are stringified like PocketBase (`cast.ToString`) so `{"page":1}` reads as "1" in rules;
// null, objects and arrays are dropped. fromEntries defines own properties, so a `__proto__` key
// cannot pollute prototypes.
function stringValues(src: Record<string, unknown>, key: (k: string) => string): Record<string, string> {
  const out: [string, string][] = []
  for (const [k, v] of Object.entries(src)) {
    if (typeof v === 'string') out.push([key(k), v])
    else if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') out.push([key(k), String(v)])
  }
  return Object.fromEntries(out)
}

export interface SubscribeRequest {
  clientId: string
  topics: Topic[]
}

/**
 * Validates a `POST /api/realtime` body's parts. Throws ApiError 400 with PocketBase-style field
 * errors: `{clientId:{code,message}}`, `{subscriptions:{code,message}}` or `{subscriptions:{"3":{…}}}`.
 * Empty strings are skipped and duplicates collapsed, as PocketBase does.
 */
export function parseSubscribeRequest(clientId: unknown, rawTopics: unknown): SubscribeRequest {
  const errors: ErrorData = {}
  if (typeof clientId !== 'string' || clientId === '') {
    errors.clientId = fieldError(ErrorCode.required, 'Missing required value.')
  } else if (clientId.length > MAX_CLIENT_ID_LENGTH) {
    errors.clientId = fieldError(ErrorCode.lengthOutOfRange, `The length must be between 1 and ${MAX_CLIENT_ID_LENGTH}.`)
  }

  const topics: Topic[] = []
  const list = rawTopics ?? []
  if (!Array.isArray(list)) {
    errors.subscriptions = fieldError(ErrorCode.invalidValue, 'Must be a list of topics.')
  } else if (list.length > MAX_TOPICS) {
    // Checked before parsing anything so a huge list costs nothing.
    errors.subscriptions = fieldError(ErrorCode.lengthTooLong, `The length must be no more than ${MAX_TOPICS}.`)
  } else {
    const itemErrors: ErrorData = {}
    const seen = new Set<string>()
    list.forEach((raw: unknown, i) => {
      if (raw === '' || (typeof raw === 'string' && seen.has(raw))) return
      if (typeof raw !== 'string') {
        itemErrors[String(i)] = fieldError(ErrorCode.invalidValue, 'Must be a string.')
        return
      }
      const parsed = parseTopic(raw)
      if (parsed.error) itemErrors[String(i)] = parsed.error
      else {
        seen.add(raw)
        topics.push(parsed.topic)
      }
    })
    if (hasErrors(itemErrors)) errors.subscriptions = itemErrors
  }

  if (hasErrors(errors)) throw badRequest('', errors)
  return { clientId: clientId as string, topics }
}
