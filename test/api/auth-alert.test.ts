// New-login alerts (authAlert): the first login records its origin silently, a login from a new
// IP/User-Agent mails the owner, a known one does not; origins are the owner's to list and delete.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type PocketBase from 'pocketbase'
import { startServer, type TestServer } from '../support/server.ts'
import { startSmtp, type TestSmtp, useTestSmtp } from '../support/smtp.ts'
import { PASSWORD, failure, uniqueEmail } from './helpers.ts'

let s: TestServer
let su: PocketBase
let smtp: TestSmtp

beforeAll(async () => {
  s = await startServer()
  su = await s.superuser()
  smtp = await startSmtp()
  await useTestSmtp(su, smtp, { appName: 'Alert Test', appURL: s.url })
})
afterAll(async () => {
  await s?.close()
  await smtp?.close()
})

const device = (name: string) => ({ headers: { 'User-Agent': name } })

async function newUser(collection = 'users') {
  const email = uniqueEmail('alert')
  await s.client().collection(collection).create({ email, password: PASSWORD, passwordConfirm: PASSWORD })
  return email
}

async function login(email: string, agent: string, collection = 'users') {
  const pb = s.client()
  await pb.collection(collection).authWithPassword(email, PASSWORD, device(agent))
  await s.app.authAlerts.idle()
  return pb
}

describe('authAlert', () => {
  it('mails on a login from a new device only, with the device in the mail', async () => {
    const email = await newUser()
    await login(email, 'Laptop/1.0') // first login ever: no alert
    await login(email, 'Laptop/1.0') // known device: no alert
    expect(smtp.to(email)).toHaveLength(0)

    await login(email, 'Evil-Browser/<script>9</script>')
    const mail = await smtp.next(email)
    expect(mail.subject).toBe('Login from a new location')
    expect(mail.decoded).toContain('Alert Test account from a new location: 127.0.0.1 (Evil-Browser/&lt;script&gt;9&lt;/script&gt;)')

    await login(email, 'Evil-Browser/<script>9</script>') // now known
    await login(email, 'Laptop/1.0')
    expect(smtp.to(email)).toHaveLength(1)
  })

  it('keeps the five most recent origins per record, readable and deletable by their owner only', async () => {
    const email = await newUser()
    let pb!: PocketBase
    for (let i = 1; i <= 7; i++) pb = await login(email, `Device/${i}`)
    const own = await pb.collection('_authOrigins').getFullList()
    expect(own).toHaveLength(5)
    expect(own.every((o) => o.recordRef === pb.authStore.record!.id && typeof o.fingerprint === 'string')).toBe(true)

    const other = await login(await newUser(), 'Other/1')
    expect(await other.collection('_authOrigins').getFullList()).toHaveLength(1)
    expect((await failure(other.collection('_authOrigins').delete(own[0].id))).status).toBe(404)
    expect((await failure(pb.collection('_authOrigins').create({ collectionRef: 'x', recordRef: 'y', fingerprint: 'z' }))).status).toBe(403)
    await pb.collection('_authOrigins').delete(own[0].id)
    expect(await pb.collection('_authOrigins').getFullList()).toHaveLength(4)
    expect(await s.client().collection('_authOrigins').getFullList()).toHaveLength(0) // guests see none
  })

  it('does nothing when the collection turns authAlert off', async () => {
    await su.collections.create({ name: 'quiet', type: 'auth', createRule: '', authAlert: { enabled: false } })
    const email = await newUser('quiet')
    await login(email, 'A/1', 'quiet')
    await login(email, 'B/1', 'quiet')
    expect(smtp.to(email)).toHaveLength(0)
    const origins = await su.collection('_authOrigins').getFullList({ filter: su.filter('collectionRef = {:c}', { c: (await su.collections.getOne('quiet')).id }) })
    expect(origins).toHaveLength(0)
  })
})
