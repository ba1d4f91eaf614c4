// Imported PocketBase accounts: bcrypt hashes log in, become argon2id on the first success, and keep their tokens.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import bcrypt from 'bcryptjs'
import { startServer, type TestServer } from '../support/server.ts'
import { PASSWORD, failure, signUp } from './helpers.ts'
import { sql } from '../../src/store/sql.ts'

let s: TestServer

beforeAll(async () => { s = await startServer() })
afterAll(async () => { await s?.close() })

async function storedHash(id: string): Promise<{ password: string; tokenKey: string; updated: string }> {
  const row = await s.app.store.get<{ password: string; tokenKey: string; updated: string }>(sql`SELECT "password", "tokenKey", "updated" FROM "users" WHERE "id" = ${id}`)
  return row!
}

/** What `basalt import-pocketbase` leaves behind: the user's PocketBase bcrypt hash in the password column. */
async function withBcryptPassword(id: string, plain: string): Promise<string> {
  const hash = bcrypt.hashSync(plain, 10).replace(/^\$2b\$/, '$2a$') // Go writes $2a$
  await s.app.store.run(sql`UPDATE "users" SET "password" = ${hash} WHERE "id" = ${id}`)
  return hash
}

describe('bcrypt password hashes', () => {
  it('a wrong password fails and leaves the bcrypt hash alone', async () => {
    const { email, record } = await signUp(s)
    const hash = await withBcryptPassword(record.id, 'pocketbase-pass-1')
    const f = await failure(s.client().collection('users').authWithPassword(email, 'not-the-password'))
    expect(f.status).toBe(400)
    expect((await storedHash(record.id)).password).toBe(hash)
  })

  it('the original password logs in, the hash becomes argon2id, tokens issued before stay valid', async () => {
    const { email, record, token: before } = await signUp(s)
    await withBcryptPassword(record.id, 'pocketbase-pass-1')
    const old = await storedHash(record.id)

    const pb = s.client()
    const res = await pb.collection('users').authWithPassword(email, 'pocketbase-pass-1')
    expect(res.record.id).toBe(record.id)

    const after = await storedHash(record.id)
    expect(after.password).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    // A storage detail, not a password change: tokenKey (so every issued token) and `updated` are kept.
    expect(after.tokenKey).toBe(old.tokenKey)
    expect(after.updated).toBe(old.updated)
    const me = s.client()
    me.authStore.save(before, null)
    expect((await me.collection('users').authRefresh()).record.id).toBe(record.id)

    // The password keeps working against the new hash; the old PASSWORD never did.
    await s.client().collection('users').authWithPassword(email, 'pocketbase-pass-1')
    expect((await failure(s.client().collection('users').authWithPassword(email, PASSWORD))).status).toBe(400)
    expect((await storedHash(record.id)).password).toBe(after.password)
  })
})
