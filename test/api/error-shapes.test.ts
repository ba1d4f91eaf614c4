// Error shapes against PocketBase's own API scenarios (its apis/*_test.go): the status, `data` keys and
// validation codes a PocketBase client sees for the same request. Expectations are PocketBase's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type PocketBase from 'pocketbase'
import { startServer, type TestServer } from '../support/server.ts'
import { PASSWORD, signUp } from './helpers.ts'

let s: TestServer
let su: PocketBase
let userToken: string

beforeAll(async () => {
  s = await startServer()
  su = await s.superuser()
  await su.collections.create({ name: 'shapes', type: 'base', createRule: '', listRule: '', viewRule: '', fields: [{ name: 'title', type: 'text', required: true, min: 3 }] })
  userToken = (await signUp(s)).pb.authStore.token
})
afterAll(async () => { await s?.close() })

async function call(method: string, path: string, opts: { body?: string; token?: string } = {}) {
  const headers: Record<string, string> = {}
  if (opts.token) headers.authorization = opts.token
  if (opts.body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(`${s.url}${path}`, { method, headers, body: opts.body })
  return { status: res.status, body: await res.json() as { status: number; message: string; data: Record<string, { code?: string }> } }
}

describe('PocketBase error shapes', () => {
  it('collections create: 401 unauthorized, 403 regular user, both with data {}', async () => {
    const anon = await call('POST', '/api/collections', { body: '{"name":"new","type":"base"}' })
    expect(anon).toMatchObject({ status: 401, body: { status: 401, data: {} } })
    const user = await call('POST', '/api/collections', { body: '{"name":"new","type":"base"}', token: userToken })
    expect(user).toMatchObject({ status: 403, body: { status: 403, data: {} } })
  })

  it('collections create with an empty body: 400 with data.name validation_required and nothing on fields', async () => {
    const r = await call('POST', '/api/collections', { body: '', token: su.authStore.token })
    expect(r.status).toBe(400)
    expect(r.body.data.name?.code).toBe('validation_required')
    expect(r.body.data).not.toHaveProperty('fields')
  })

  it('collections create with a taken name: data.name validation_collection_name_exists', async () => {
    const r = await call('POST', '/api/collections', { body: '{"name":"USERS","type":"base"}', token: su.authStore.token })
    expect(r.status).toBe(400)
    expect(r.body.data.name?.code).toBe('validation_collection_name_exists')
  })

  it('auth-with-password with an empty body: data.identity and data.password validation_required', async () => {
    const r = await call('POST', '/api/collections/users/auth-with-password', { body: '{}' })
    expect(r.status).toBe(400)
    expect(r.body.data.identity?.code).toBe('validation_required')
    expect(r.body.data.password?.code).toBe('validation_required')
  })

  it('auth-with-password with a wrong password: 400 "Failed to authenticate." and data {}', async () => {
    const { email } = await signUp(s)
    const r = await call('POST', '/api/collections/users/auth-with-password', { body: JSON.stringify({ identity: email, password: `${PASSWORD}x` }) })
    expect(r).toMatchObject({ status: 400, body: { message: 'Failed to authenticate.', data: {} } })
  })

  it('record create failing validation: 400 "Failed to create record." with the field code', async () => {
    const missing = await call('POST', '/api/collections/shapes/records', { body: '{}' })
    expect(missing).toMatchObject({ status: 400, body: { message: 'Failed to create record.' } })
    expect(missing.body.data.title?.code).toBe('validation_required')
    const short = await call('POST', '/api/collections/shapes/records', { body: '{"title":"ab"}' })
    expect(short.body.data.title?.code).toBe('validation_min_text_constraint')
  })

  it('missing collection and missing record: 404 with data {}', async () => {
    expect(await call('GET', '/api/collections/missing/records')).toMatchObject({ status: 404, body: { status: 404, data: {} } })
    expect(await call('GET', '/api/collections/shapes/records/missing')).toMatchObject({ status: 404, body: { status: 404, data: {} } })
  })

  it('realtime subscribe for an unknown client id: 404', async () => {
    expect((await call('POST', '/api/realtime', { body: '{"clientId":"missing","subscriptions":[]}' })).status).toBe(404)
  })

  it('confirm-password-reset with a forged token: data.token validation_invalid_token', async () => {
    const r = await call('POST', '/api/collections/users/confirm-password-reset', { body: '{"token":"forged","password":"long-enough-1","passwordConfirm":"long-enough-1"}' })
    expect(r.status).toBe(400)
    expect(r.body.data.token?.code).toBe('validation_invalid_token')
  })
})
