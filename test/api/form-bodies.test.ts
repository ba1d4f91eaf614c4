// multipart/form-data and urlencoded bodies work wherever JSON does (pocketbase-typegen logs in with a form); other types get a clear 400.
import type PocketBase from 'pocketbase'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SUPERUSER, startServer, type TestServer } from '../support/server.ts'
import { signUp } from './helpers.ts'

let s: TestServer
let su: PocketBase

beforeAll(async () => {
  s = await startServer()
  su = await s.superuser()
  await su.collections.create({ name: 'notes', type: 'base', listRule: '', viewRule: '', createRule: '', fields: [{ name: 'title', type: 'text' }, { name: 'n', type: 'number' }] })
})
afterAll(async () => { await s?.close() })

async function post(path: string, body: BodyInit, opts: { method?: string; token?: string; type?: string } = {}) {
  const headers: Record<string, string> = {}
  if (opts.token) headers.authorization = opts.token
  if (opts.type) headers['content-type'] = opts.type
  const res = await fetch(s.url + path, { method: opts.method ?? 'POST', headers, body })
  return { status: res.status, json: await res.json().catch(() => undefined) as any }
}

const formOf = (fields: Record<string, string>) => {
  const fd = new FormData()
  for (const [k, v] of Object.entries(fields)) fd.append(k, v)
  return fd
}
const urlencoded = (fields: Record<string, string>) => new URLSearchParams(fields).toString()
const URLENCODED = 'application/x-www-form-urlencoded'

describe('auth endpoints', () => {
  it('superuser login with a multipart form, as pocketbase-typegen does', async () => {
    const res = await post('/api/collections/_superusers/auth-with-password', formOf({ identity: SUPERUSER.email, password: SUPERUSER.password }))
    expect(res.status, JSON.stringify(res.json)).toBe(200)
    expect(res.json.token).toBeTypeOf('string')
    expect(res.json.record.email).toBe(SUPERUSER.email)
  })

  it('user login with an urlencoded body', async () => {
    const u = await signUp(s)
    const res = await post('/api/collections/users/auth-with-password', urlencoded({ identity: u.email, password: u.password }), { type: URLENCODED })
    expect(res.status, JSON.stringify(res.json)).toBe(200)
    expect(res.json.record.id).toBe(u.record.id)
  })

  it('a wrong password in a form is still a 400 about the credentials, not "Cannot be blank"', async () => {
    const res = await post('/api/collections/_superusers/auth-with-password', formOf({ identity: SUPERUSER.email, password: 'wrong-password' }))
    expect(res.status).toBe(400)
    expect(res.json.data).toEqual({})
  })

  it('request-otp and request-password-reset read form fields', async () => {
    await su.collections.update('users', { otp: { enabled: true } })
    const u = await signUp(s)
    const otp = await post('/api/collections/users/request-otp', formOf({ email: u.email }))
    expect(otp.status, JSON.stringify(otp.json)).toBe(200)
    expect(otp.json.otpId).toBeTypeOf('string')
    const reset = await post('/api/collections/users/request-password-reset', urlencoded({ email: u.email }), { type: URLENCODED })
    expect(reset.status).toBe(204)
  })
})

describe('collections, settings and records', () => {
  it('collection create with multipart @jsonPayload', async () => {
    const res = await post('/api/collections', formOf({ '@jsonPayload': JSON.stringify({ name: 'from_form', type: 'base', fields: [{ name: 'x', type: 'text' }] }) }), { token: su.authStore.token })
    expect(res.status, JSON.stringify(res.json)).toBe(200)
    expect((await su.collections.getOne('from_form')).fields.map((f) => f.name)).toContain('x')
  })

  it('settings PATCH with multipart @jsonPayload', async () => {
    const res = await post('/api/settings', formOf({ '@jsonPayload': JSON.stringify({ meta: { appName: 'Formed' } }) }), { method: 'PATCH', token: su.authStore.token })
    expect(res.status, JSON.stringify(res.json)).toBe(200)
    expect((await su.settings.getAll()).meta.appName).toBe('Formed')
  })

  it('record create with urlencoded fields (multipart inference rules)', async () => {
    const res = await post('/api/collections/notes/records', urlencoded({ title: 'hello', n: '42' }), { type: URLENCODED })
    expect(res.status, JSON.stringify(res.json)).toBe(200)
    expect(res.json).toMatchObject({ title: 'hello', n: 42 })
  })
})

describe('unsupported content types', () => {
  it.each(['text/plain', 'application/xml'])('%s answers 400 naming the type and the accepted ones', async (type) => {
    const res = await post('/api/collections/_superusers/auth-with-password', 'identity=x&password=y', { type })
    expect(res.status).toBe(400)
    expect(res.json.message).toContain(`Unsupported Content-Type "${type}"`)
    expect(res.json.message).toContain('multipart/form-data')
  })
})

describe('filter errors name the problem', () => {
  it.each([
    ['superuser', true],
    ['guest', false],
  ])('an unknown modifier answers "Invalid filter: …" naming it (%s)', async (_who, asSuperuser) => {
    const pb = asSuperuser ? su : s.client()
    const res = await fetch(`${s.url}/api/collections/notes/records?filter=${encodeURIComponent('title:upper = "x"')}`, { headers: asSuperuser ? { authorization: pb.authStore.token } : {} })
    const body = await res.json()
    expect(res.status).toBe(400)
    expect(body.message).toBe('Invalid filter: unknown modifier ":upper".')
  })

  it('other filter mistakes by a superuser say why too (not "Something went wrong")', async () => {
    const res = await fetch(`${s.url}/api/collections/notes/records?filter=${encodeURIComponent('nope = 1')}`, { headers: { authorization: su.authStore.token } })
    expect((await res.json()).message).toMatch(/^Invalid filter: unknown field "nope"/)
  })
})
