// The README's SDK example runs as printed on this Node (EventSource set up inside the block) against a started server.
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SUPERUSERS_NAME } from '../../src/core/collections/types.ts'
import { guestRequest } from '../../src/rules/request-info.ts'
import { startServer, type TestServer } from '../support/server.ts'

let s: TestServer
// Inside the repository, so `import 'pocketbase'` resolves from its node_modules like a user's project.
const script = path.resolve(`test/api/.readme-example-${process.pid}-${Date.now()}.mjs`)

/** The first ```js block after the "use it from the SDK" heading, exactly as printed. */
function readmeExample(): string {
  const readme = fs.readFileSync('README.md', 'utf8')
  const section = readme.slice(readme.indexOf('use it from the SDK'))
  const m = /```js\n([\s\S]*?)```/.exec(section)
  if (!m) throw new Error('README has no SDK example')
  return m[1]
}

beforeAll(async () => {
  s = await startServer()
  // The superuser the example logs in with (the README creates it with `basalt superuser upsert`).
  const c = s.app.collections.get(SUPERUSERS_NAME)
  const body = { email: 'admin@example.com', password: 'a-long-password', passwordConfirm: 'a-long-password' }
  await s.app.records.create(c, { body, files: new Map() }, {}, guestRequest({ auth: { collection: c, record: { id: 'test' } } }))
})
afterAll(async () => {
  fs.rmSync(script, { force: true })
  await s?.close()
})

describe('README SDK example', () => {
  it('runs unchanged (only the server URL differs) and shows the list and the realtime event', async () => {
    const code = readmeExample()
    expect(code).toContain("globalThis.EventSource ??= EventSource")
    fs.writeFileSync(script, code.replaceAll('http://127.0.0.1:8090', s.url))
    const { stdout } = await promisify(execFile)(process.execPath, [script], { timeout: 30_000 })
    expect(stdout).toMatch(/^1 ann@example\.com$/m)
    expect(stdout).toMatch(/^update [a-z0-9]{15}$/m)
  })
})
