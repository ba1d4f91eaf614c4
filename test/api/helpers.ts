// Shared helpers for the black-box API suite (SDK client against a real Basalt server).
import type PocketBase from 'pocketbase'
import { ClientResponseError } from 'pocketbase'
import type { TestServer } from '../support/server.ts'

export interface ApiFailure {
  status: number
  body: { status?: number; message?: string; data?: Record<string, any> }
}

/** Awaits a request that must fail and returns its status + parsed error body. */
export async function failure(p: Promise<unknown>): Promise<ApiFailure> {
  try {
    await p
  } catch (err) {
    if (err instanceof ClientResponseError) return { status: err.status, body: err.response as ApiFailure['body'] }
    throw err
  }
  throw new Error('expected the request to fail, but it succeeded')
}

/** The error code of `field` in a failure's `data` (undefined when absent). */
export const codeOf = (f: ApiFailure, field: string): string | undefined => f.body.data?.[field]?.code

export const PASSWORD = 'password-123'

let seq = 0
/** A unique email for this process. */
export const uniqueEmail = (prefix = 'user') => `${prefix}${++seq}_${Date.now().toString(36)}@example.com`

/** Signs up through the public `users` collection and returns a logged-in client + record. */
export async function signUp(s: TestServer, opts: { email?: string; password?: string; data?: Record<string, unknown> } = {}) {
  const email = opts.email ?? uniqueEmail()
  const password = opts.password ?? PASSWORD
  const pb = s.client()
  await pb.collection('users').create({ email, password, passwordConfirm: password, ...opts.data })
  const auth = await pb.collection('users').authWithPassword(email, password)
  return { pb, record: auth.record, token: auth.token, email, password }
}

/** Decodes a JWT payload the way the SDK does (plain atob, no base64url handling). */
export function jwtPayload(token: string): Record<string, unknown> {
  return JSON.parse(atob(token.split('.')[1]))
}

/** Raw fetch against the server (for headers, non-SDK shapes). */
export async function raw(s: TestServer, path: string, init: RequestInit & { token?: string } = {}) {
  const headers = new Headers(init.headers)
  if (init.token) headers.set('Authorization', init.token)
  const res = await fetch(s.url + path, { ...init, headers })
  const text = await res.text()
  let json: any
  try { json = text ? JSON.parse(text) : undefined } catch { json = undefined }
  return { status: res.status, headers: res.headers, text, json }
}

export const DATE_RE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}Z$/
export const ID_RE = /^[a-z0-9]{15}$/

export type Client = PocketBase
