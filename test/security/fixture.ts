// Shared world for the hostile-input suite: a `posts` collection owned through a relation to `users`,
// with a hidden `secret` field, users A and B, a superuser, and raw-HTTP helpers with leak checks.
import { expect } from 'vitest'
import type PocketBase from 'pocketbase'
import type { Config } from '../../src/config.ts'
import { sql } from '../../src/store/sql.ts'
import { startServer, type TestServer } from '../support/server.ts'

export const OWNER_RULE = 'owner = @request.auth.id'
/** Owner only, and a submitted `owner` must still be the caller (SECURITY.md D3). */
export const UPDATE_RULE = 'owner = @request.auth.id && (@request.body.owner:isset = false || @request.body.owner = @request.auth.id)'
export const CREATE_RULE = '@request.auth.id != "" && owner = @request.auth.id'

export interface User { id: string; email: string; password: string; token: string; pb: PocketBase }

export interface World {
  s: TestServer
  su: PocketBase
  suToken: string
  a: User
  b: User
  posts: { id: string }
  /** Post ids by owner, and the hidden secret of each post. */
  postA1: string
  postA2: string
  postB1: string
  secrets: Record<string, string>
  close(): Promise<void>
}

export interface WorldOptions {
  config?: Partial<Config>
  /** Extra fields for `posts`. */
  postFields?: Record<string, unknown>[]
  postRules?: Partial<Record<'listRule' | 'viewRule' | 'createRule' | 'updateRule' | 'deleteRule', string | null>>
}

const rand = () => Math.random().toString(36).slice(2, 10)

export async function setupWorld(opts: WorldOptions = {}): Promise<World> {
  const s = await startServer(opts.config)
  const su = await s.superuser()
  const posts = await su.collections.create({
    name: 'posts',
    type: 'base',
    fields: [
      { name: 'title', type: 'text', max: 500 },
      { name: 'owner', type: 'relation', collectionId: '_pb_users_auth_', maxSelect: 1 },
      { name: 'secret', type: 'text', hidden: true },
      { name: 'balance', type: 'number' },
      { name: 'meta', type: 'json' },
      { name: 'doc', type: 'file', maxSelect: 5, maxSize: 1024 * 1024, protected: true },
      ...(opts.postFields ?? []),
    ],
    listRule: OWNER_RULE,
    viewRule: OWNER_RULE,
    createRule: CREATE_RULE,
    updateRule: UPDATE_RULE,
    deleteRule: OWNER_RULE,
    ...opts.postRules,
  })
  const mkUser = async (name: string): Promise<User> => {
    const email = `${name}-${rand()}@example.com`
    const password = `pw-${name}-${rand()}-long`
    const pb = s.client()
    const rec = await pb.collection('users').create({ email, password, passwordConfirm: password, name, emailVisibility: false })
    const auth = await pb.collection('users').authWithPassword(email, password)
    return { id: rec.id, email, password, token: auth.token, pb }
  }
  const a = await mkUser('alice')
  const b = await mkUser('bob')
  const secrets: Record<string, string> = {}
  const mkPost = async (owner: User, title: string) => {
    const secret = `zq${rand()}${rand()}`
    const rec = await su.collection('posts').create({ title, owner: owner.id, secret, balance: 5 })
    secrets[rec.id] = secret
    return rec.id
  }
  const postA1 = await mkPost(a, 'alpha one')
  const postA2 = await mkPost(a, 'alpha two')
  const postB1 = await mkPost(b, 'bravo one')
  return { s, su, suToken: su.authStore.token, a, b, posts: { id: posts.id }, postA1, postA2, postB1, secrets, close: () => s.close() }
}

export interface RawResponse { status: number; text: string; json: any; headers: Headers }

export async function raw(
  w: { s: TestServer } | TestServer,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; rawBody?: BodyInit; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  const s = 's' in w ? w.s : w
  // No keep-alive: a socket still finishing a streamed response when the test server closes would keep
  // server.close() waiting for the keep-alive timeout (the harness has no idle sweep).
  const headers: Record<string, string> = { connection: 'close', ...opts.headers }
  if (opts.token) headers.authorization = opts.token
  let body: BodyInit | undefined = opts.rawBody
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body)
    headers['content-type'] ??= 'application/json'
  }
  const res = await fetch(s.url + path, { method, headers, body })
  const text = await res.text()
  let json: any
  try { json = text ? JSON.parse(text) : undefined } catch { json = undefined }
  return { status: res.status, text, json, headers: res.headers }
}

export const q = (params: Record<string, string | number>) =>
  '?' + Object.entries(params).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&')

/** Driver/runtime text that must never reach a client. */
const LEAK_PATTERNS: RegExp[] = [
  // SQLite / better-sqlite3 driver text ("…only supported on SQLite" as a product message is fine).
  /SQLITE_/, /better-sqlite3/i, /SqliteError/, /no such (column|table|function)/i, /syntax error/i, /constraint failed/i,
  // PostgreSQL / node-postgres driver text.
  /SQLSTATE|\bpg_[a-z]|relation ".*" does not exist|column ".*" does not exist|duplicate key value|violates .* constraint|invalid input syntax|operator does not exist|DatabaseError/i,
  /json_each|json_extract|COALESCE\(|ESCAPE '|\bOFFSET \d|\bLIMIT \d/i,
  /\n\s+at /, /\bat (async )?\S+ \(/, /node_modules/, /\.ts:\d+/, /\/(work|tmp|home|usr)\//,
  /(Range|Type|Syntax|Reference)Error/, /Maximum call stack/i, /\$argon2/, /undefined is not|Cannot read prop/i,
]

/**
 * `echo`: the attacker's own input; its words may be quoted back in an error message ("unknown function
 * \"sqlite_version\"") without that being a leak, so they are scrubbed before pattern matching.
 */
export function expectNoLeak(res: RawResponse | string, extraSecrets: string[] = [], echo = '') {
  let text = typeof res === 'string' ? res : res.text
  for (const word of echo.match(/\w{3,}/g) ?? []) text = text.split(word).join('')
  for (const p of LEAK_PATTERNS) expect(text, `leak ${p}`).not.toMatch(p)
  for (const s of extraSecrets) if (s) expect(text, 'secret value leaked').not.toContain(s)
}

/** A clean client error: the given 4xx status, PocketBase error shape, nothing leaked. */
export function expectClientError(res: RawResponse, status: number | number[], extraSecrets: string[] = [], echo = '') {
  const allowed = Array.isArray(status) ? status : [status]
  expect(allowed, `status ${res.status}: ${res.text.slice(0, 300)}`).toContain(res.status)
  expect(res.json, 'JSON error body').toBeTypeOf('object')
  expect(res.json.status).toBe(res.status)
  expect(typeof res.json.message).toBe('string')
  expect(res.json.data).toBeTypeOf('object')
  expectNoLeak(res, extraSecrets, echo)
}

/** Rows of a table straight from the database (bypassing the API). */
export async function dbRows<T = Record<string, unknown>>(w: World | TestServer, table: string): Promise<T[]> {
  const s = 's' in w ? w.s : w
  return s.app.store.all<T>(sql`SELECT * FROM ${s.app.store.dialect.ident(table)} ORDER BY "id"`)
}

/** All secret-ish values in the DB: hidden post secrets, tokenKeys and password hashes. */
export async function allSecrets(w: World): Promise<string[]> {
  const users = await dbRows<{ tokenKey: string; password: string }>(w, 'users')
  const sus = await dbRows<{ tokenKey: string; password: string }>(w, '_superusers')
  return [...Object.values(w.secrets), ...[...users, ...sus].flatMap((u) => [u.tokenKey, u.password])]
}

/** A stable snapshot of a table for "nothing changed" assertions. */
export async function snapshot(w: World, table = 'posts'): Promise<string> {
  return JSON.stringify(await dbRows(w, table))
}
