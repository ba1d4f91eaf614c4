// The first-run installer token through the real HTTP API: creates the first superuser once, and nothing else.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ClientResponseError } from 'pocketbase'
import { startServer, type TestServer } from '../support/server.ts'
import { sql } from '../../src/store/sql.ts'
import { InstallerTokens, INSTALLER_TTL_MS, installerLink } from '../../src/http/routes/ui-installer.ts'

let s: TestServer
beforeAll(async () => {
  s = await startServer()
  await s.app.store.run(sql`DELETE FROM "_superusers"`)
})
afterAll(async () => { await s?.close() })

const tokenOf = (link: string) => /#\/pbinstal\/(pbinstal_[\w-]+)$/.exec(link)![1]
const status = (p: Promise<unknown>) => p.then(() => 200, (e: ClientResponseError) => e.status)
const create = (token: string | null, body: Record<string, unknown>) =>
  s.client().collection('_superusers').create(body, token ? { headers: { Authorization: token } } : {})

describe('installer token', () => {
  it('creates the first superuser exactly once; failures before that keep the link alive', async () => {
    const link = (await installerLink(s.app, s.url + '/'))!
    expect(link.startsWith(`${s.url}/_/#/pbinstal/pbinstal_`)).toBe(true)
    const token = tokenOf(link)
    const good = { email: 'first@example.com', password: 'first-password-1', passwordConfirm: 'first-password-1' }

    expect(await status(create(null, good))).toBe(403) // a guest cannot
    // Only for creating a superuser: any other use is refused, and burns nothing.
    expect(await status(s.client().collections.getFullList({ headers: { Authorization: token } }))).toBe(401)
    expect(await status(s.client().collection('users').create(good, { headers: { Authorization: token } }))).toBe(401)
    // A validation error (password too short) leaves the link usable.
    const bad = await create(token, { ...good, password: 'short', passwordConfirm: 'short' }).catch((e: ClientResponseError) => e)
    expect((bad as ClientResponseError).status).toBe(400)
    expect((bad as ClientResponseError).response.data.password).toBeTruthy()

    // Two at once: one wins.
    const results = await Promise.all([status(create(token, good)), status(create(token, { ...good, email: 'second@example.com' }))])
    expect(results.sort()).toEqual([200, 401])
    expect(await status(create(token, { ...good, email: 'third@example.com' }))).toBe(401)
    const su = await s.superuser().catch(() => null)
    expect(su).toBeNull() // the test server's default superuser was deleted
    const pb = s.client()
    await pb.collection('_superusers').authWithPassword(good.email, good.password)
    expect((await pb.collection('_superusers').getFullList()).map((r) => r.email)).toEqual([good.email])
    // Installed: no new link is issued.
    expect(await installerLink(s.app, s.url)).toBeNull()
  })

  it('expires after 30 minutes and is refused on a garbage value', () => {
    let now = 1_000_000
    const tokens = new InstallerTokens(() => now)
    const a = tokens.issue()
    const b = tokens.issue()
    now += INSTALLER_TTL_MS - 1
    expect(tokens.take(a)).not.toBeNull()
    expect(tokens.take(a)).toBeNull()
    now += 2
    expect(tokens.take(b)).toBeNull()
    expect(tokens.take('pbinstal_nope')).toBeNull()
  })
})
