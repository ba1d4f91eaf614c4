// Framework mode: a program builds Basalt in-process with createBasalt, registers hooks and routes, starts it,
// and the compiled package (`import { createBasalt } from 'basalt'`) does the same from a separate process.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import PocketBase from 'pocketbase'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBasalt, requireAuth, type Basalt } from '../../src/index.ts'
import { TEST_STORE } from '../support/server.ts'

const dirs: string[] = []
const tempDir = () => { const d = fs.mkdtempSync(path.join(os.tmpdir(), 'basalt-fw-')); dirs.push(d); return d }
afterAll(() => { for (const d of dirs) fs.rmSync(d, { recursive: true, force: true }) })

describe.skipIf(TEST_STORE !== 'sqlite')('createBasalt in-process', () => {
  let app: Basalt
  let url: string
  beforeAll(async () => {
    app = await createBasalt({ dataDir: tempDir(), port: 0, logLevel: 'silent', env: false })
    app.routerAdd('GET', '/api/ping', () => ({ pong: true }))
    app.routes.get('/api/whoami', (e) => ({ email: e.auth?.email() }), requireAuth())
    app.onRecordCreate(async (e) => { e.record.set('name', String(e.record.get('name')).trim()); await e.next() }, 'users')
    url = (await app.start()).url
  })
  afterAll(() => app?.stop())

  it('serves the routes and hooks it registered, driven with the SDK', async () => {
    const pb = new PocketBase(url)
    expect(await pb.send('/api/ping', {})).toEqual({ pong: true })
    await pb.collection('users').create({ email: 'fw@example.com', password: 'password-123', passwordConfirm: 'password-123', name: '  Ada  ' })
    const auth = await pb.collection('users').authWithPassword('fw@example.com', 'password-123')
    expect(auth.record.name).toBe('Ada')
    expect(await pb.send('/api/whoami', {})).toEqual({ email: 'fw@example.com' })
    expect(await app.countRecords('users', 'email = {:e}', { e: 'fw@example.com' })).toBe(1)
  })
})

describe.skipIf(TEST_STORE !== 'sqlite')('the compiled package', { timeout: 120_000 }, () => {
  beforeAll(() => {
    // `npm install` builds dist/ (prepare); build it here when a checkout skipped that.
    if (!fs.existsSync('dist/index.js')) expect(spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' }).status).toBe(0)
  }, 120_000)

  it('imports as `basalt` (exports map, compiled JS) and starts from a plain Node program', () => {
    const project = tempDir()
    fs.mkdirSync(path.join(project, 'node_modules'))
    fs.symlinkSync(path.resolve('.'), path.join(project, 'node_modules', 'basalt'), 'dir')
    fs.writeFileSync(path.join(project, 'main.mjs'), `
      import { createBasalt } from 'basalt'
      const app = await createBasalt({ dataDir: ${JSON.stringify(path.join(project, 'data'))}, port: 0, logLevel: 'silent', env: false })
      app.routerAdd('GET', '/api/hi', (e) => e.json(200, { hi: 'there' }))
      const { url } = await app.start()
      const body = await (await fetch(url + '/api/hi')).json()
      await app.stop()
      console.log(JSON.stringify(body))
    `)
    const run = spawnSync(process.execPath, ['main.mjs'], { cwd: project, encoding: 'utf8', timeout: 60_000 })
    expect(run.stderr).toBe('')
    expect(JSON.parse(run.stdout.trim())).toEqual({ hi: 'there' })
    expect(fs.existsSync('dist/index.d.ts')).toBe(true)
  })
})
