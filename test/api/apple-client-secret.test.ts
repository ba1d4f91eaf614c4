// POST /api/settings/apple/generate-client-secret (PocketBase): an ES256 JWT Apple accepts as the
// OAuth2 client secret, verified here with the key pair's public half.
import { generateKeyPairSync } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeProtectedHeader, jwtVerify } from 'jose'
import { startServer, type TestServer } from '../support/server.ts'
import { failure, signUp, type Client } from './helpers.ts'

const PATH = '/api/settings/apple/generate-client-secret'
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
const valid = { clientId: 'com.example.app', teamId: 'TEAM123456', keyId: 'KEY1234567', privateKey: pem, duration: 3600 }

let s: TestServer
let su: Client
beforeAll(async () => { s = await startServer(); su = await s.superuser() })
afterAll(async () => { await s?.close() })

describe('generate-client-secret', () => {
  it('signs an ES256 JWT with kid, iss = team, sub = client, aud = Apple and the requested lifetime', async () => {
    const { secret } = await su.send(PATH, { method: 'POST', body: valid })
    expect(decodeProtectedHeader(secret)).toEqual({ alg: 'ES256', kid: 'KEY1234567' })
    const { payload } = await jwtVerify(secret, publicKey, { audience: 'https://appleid.apple.com', issuer: 'TEAM123456', subject: 'com.example.app' })
    expect(payload.exp! - payload.iat!).toBe(3600)
  })

  it('answers field errors in PocketBase shape for missing, malformed and out-of-range input', async () => {
    const empty = await failure(su.send(PATH, { method: 'POST', body: {} }))
    expect(empty.status).toBe(400)
    for (const k of ['clientId', 'teamId', 'keyId', 'privateKey', 'duration']) expect(empty.body.data?.[k]?.code, k).toBe('validation_required')
    const bad = await failure(su.send(PATH, { method: 'POST', body: { ...valid, teamId: 'short', privateKey: 'not a key', duration: 99_999_999 } }))
    expect(bad.body.data).toMatchObject({
      teamId: { code: 'validation_length_invalid' }, privateKey: { code: 'validation_invalid_private_key' }, duration: { code: 'validation_out_of_range' },
    })
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    expect((await failure(su.send(PATH, { method: 'POST', body: { ...valid, privateKey: rsa } }))).body.data?.privateKey?.code).toBe('validation_invalid_private_key')
  })

  it('is superuser-only: 401 for guests, 403 for users', async () => {
    expect((await failure(s.client().send(PATH, { method: 'POST', body: valid }))).status).toBe(401)
    const user = await signUp(s)
    expect((await failure(user.pb.send(PATH, { method: 'POST', body: valid }))).status).toBe(403)
  })
})
