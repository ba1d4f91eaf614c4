// Collection JSON written by PocketBase or by hand (`null` where a list/object belongs) is read defensively, normalised on write.
import type PocketBase from 'pocketbase'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type TestServer } from '../support/server.ts'
import { sql } from '../../src/store/sql.ts'
import { signUp } from './helpers.ts'

let s: TestServer
let su: PocketBase

beforeAll(async () => {
  s = await startServer()
  su = await s.superuser()
  await su.collections.create({
    name: 'docs', type: 'base', listRule: '', viewRule: '', createRule: '',
    fields: [
      { name: 'title', type: 'text' },
      { name: 'kind', type: 'select', values: ['a', 'b'] },
      { name: 'contact', type: 'email' },
      { name: 'file', type: 'file', maxSelect: 1 },
    ],
  })
})
afterAll(async () => { await s?.close() })

async function storedRow(name: string): Promise<{ fields: string; indexes: string; options: string }> {
  return (await s.app.store.get<{ fields: string; indexes: string; options: string }>(sql`SELECT "fields", "indexes", "options" FROM "_collections" WHERE "name" = ${name}`))!
}

/** Rewrites a stored collection row the way PocketBase's Go serialisation (nil slices -> null) leaves it. */
async function corrupt(name: string, edit: (row: { fields: any[]; indexes: any; options: any }) => void) {
  const row = await storedRow(name)
  const parsed = { fields: JSON.parse(row.fields), indexes: JSON.parse(row.indexes), options: JSON.parse(row.options) }
  edit(parsed)
  await s.app.store.run(sql`UPDATE "_collections" SET "fields" = ${JSON.stringify(parsed.fields)}, "indexes" = ${JSON.stringify(parsed.indexes)},
    "options" = ${JSON.stringify(parsed.options)} WHERE "name" = ${name}`)
}

describe('null lists and objects in stored collection JSON', () => {
  beforeAll(async () => {
    await corrupt('users', ({ options, fields }) => {
      options.oauth2.providers = null
      options.oauth2.mappedFields = null
      options.passwordAuth.identityFields = null
      options.mfa = null
      options.otp.emailTemplate = null
      for (const f of fields) if (f.name === 'email') { f.onlyDomains = null; f.exceptDomains = null }
    })
    await corrupt('docs', (row) => {
      const { fields } = row
      row.indexes = null // docs has no index: PocketBase writes `null` for the empty list
      for (const f of fields) {
        if (f.name === 'kind') f.values = null
        if (f.name === 'file') { f.mimeTypes = null; f.thumbs = null }
        if (f.name === 'contact') f.onlyDomains = null
      }
    })
    // What a restart (or another node's schema reload) does: read the rows again.
    await s.app.collections.reload()
  })

  it('GET /api/collections and the collection itself answer 200 with lists', async () => {
    const list = await su.collections.getFullList()
    const users = list.find((c) => c.name === 'users')!
    expect(users.oauth2.providers).toEqual([])
    expect(users.passwordAuth.identityFields).toEqual(['email']) // null -> the default list
    expect(users.mfa).toMatchObject({ enabled: false })
    expect(users.otp.emailTemplate).toMatchObject({ subject: expect.any(String) })
    const docs = await su.collections.getOne('docs')
    expect(docs.fields.find((f: any) => f.name === 'kind')?.values).toEqual([])
    expect(docs.indexes).toEqual([])
  })

  it('auth methods, sign-up and records of the affected collections keep working', async () => {
    const methods = await s.client().collection('users').listAuthMethods()
    expect(methods.oauth2.providers).toEqual([])
    await signUp(s)
    const rec = await s.client().collection('docs').create({ title: 'x', contact: 'a@example.com' })
    expect((await s.client().collection('docs').getList(1, 10)).items.map((r) => r.id)).toContain(rec.id)
  })

  it('a save writes the normalised shape back (providers: [] instead of null)', async () => {
    await su.collections.update('users', { listRule: 'id = @request.auth.id' })
    const options = JSON.parse((await storedRow('users')).options)
    expect(options.oauth2.providers).toEqual([])
    expect(options.passwordAuth.identityFields).toEqual(['email'])
    expect(options.mfa).toMatchObject({ enabled: false })
  })

  it('a client sending null lists is normalised on write, never stored as null', async () => {
    await su.collections.update('users', { oauth2: { providers: null, mappedFields: null }, passwordAuth: { enabled: true, identityFields: null } })
    const options = JSON.parse((await storedRow('users')).options)
    expect(options.oauth2.providers).toEqual([])
    expect(options.oauth2.mappedFields).toBeTypeOf('object')
    expect(options.passwordAuth.identityFields).toEqual(['email'])
    expect((await su.collections.getOne('users')).oauth2.providers).toEqual([])
  })
})
