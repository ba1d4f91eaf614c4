// `basalt typegen`: types from a running server (superuser login) and from the local store; the output compiles
// against the pocketbase SDK's types and catches a wrong field at compile time.
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, SUPERUSER, type TestServer } from '../support/server.ts'

const BIN = path.resolve('bin/basalt.js')
const work = path.resolve('tmp', `typegen-${process.pid}`)
let s: TestServer

beforeAll(async () => {
  s = await startServer()
  const su = await s.superuser()
  const tags = await su.collections.create({ name: 'tags', type: 'base', fields: [{ name: 'label', type: 'text', required: true }] })
  await su.collections.create({
    name: 'posts', type: 'base',
    fields: [
      { name: 'title', type: 'text', required: true },
      { name: 'status', type: 'select', values: ['draft', 'published'], maxSelect: 1 },
      { name: 'tags', type: 'relation', collectionId: tags.id, maxSelect: 5 },
      { name: 'author', type: 'relation', collectionId: '_pb_users_auth_', maxSelect: 1 },
      { name: 'cover', type: 'file', maxSelect: 1, maxSize: 1000 },
      { name: 'meta', type: 'json' }, { name: 'views', type: 'number' }, { name: 'published', type: 'bool' },
      { name: 'created', type: 'autodate', onCreate: true },
    ],
  })
  fs.mkdirSync(work, { recursive: true })
})
afterAll(async () => {
  await s?.close()
  fs.rmSync(work, { recursive: true, force: true })
})

/** Async: the server under test runs in this process, so a blocking spawnSync would starve it. */
function run(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'typegen', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = '', stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('exit', (status) => resolve({ status, stdout, stderr }))
  })
}

describe('basalt typegen', { timeout: 120_000 }, () => {
  it('writes pocketbase-typegen shaped types from a running server', async () => {
    const out = path.join(work, 'remote.ts')
    const r = await run([`--out=${out}`, `--url=${s.url}`, `--email=${SUPERUSER.email}`, `--password=${SUPERUSER.password}`])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    const text = fs.readFileSync(out, 'utf8')
    expect(text).toContain('export enum Collections {')
    expect(text).toContain('\tPosts = "posts",')
    expect(text).toContain('export enum PostsStatusOptions {')
    expect(text).toMatch(/export type PostsRecord = \{[^}]*\ttitle: string\n[^}]*\ttags\?: RecordIdString\[\]/)
    expect(text).toMatch(/export type PostsExpand = \{\n\ttags\?: TagsResponse\[\]\n\tauthor\?: UsersResponse\n\}/)
    expect(text).toContain('export type UsersResponse<Texpand = UsersExpand> = Required<UsersRecord> & AuthSystemFields<Texpand>')
    expect(text).not.toContain('tokenKey')
    const usersRecord = /export type UsersRecord = \{[^}]*\}/.exec(text)![0]
    expect(usersRecord).not.toMatch(/password|email/)

    // The generated file type-checks against the SDK, and a misuse is a compile error.
    fs.writeFileSync(path.join(work, 'use.ts'), `import PocketBase from 'pocketbase'
import type { TypedPocketBase, PostsCreate } from './remote.ts'
const pb = new PocketBase('http://x') as TypedPocketBase
export async function f() {
  const post = await pb.collection('posts').getOne('id', { expand: 'tags' })
  const title: string = post.title
  const labels: string[] = (post.expand?.tags ?? []).map((t) => t.label)
  const input: PostsCreate = { title: 'x', tags: ['a'] }
  // @ts-expect-error: no such field
  post.nope
  return { title, labels, input }
}
`)
    const tsc = spawnSync(process.execPath, [path.resolve('node_modules/typescript/bin/tsc'), '--noEmit', '--strict', '--skipLibCheck', '--allowImportingTsExtensions',
      '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', path.join(work, 'use.ts')], { encoding: 'utf8', timeout: 90_000 })
    expect(tsc.stdout + tsc.stderr).toBe('')
  })

  it('reads the local store when no --url is given', async () => {
    if (s.app.config.databaseUrl) return
    const out = path.join(work, 'local.ts')
    const r = await run([`--out=${out}`, `--dir=${s.dir}`])
    expect(r.status).toBe(0)
    expect(fs.readFileSync(out, 'utf8')).toContain('export type TagsRecord = {\n\tlabel: string\n}')
  })

  it('fails clearly without --out or with bad credentials', async () => {
    expect((await run([])).status).toBe(2)
    const bad = await run([`--out=${path.join(work, 'x.ts')}`, `--url=${s.url}`, '--email=root@example.com', '--password=wrong-password'])
    expect(bad.status).toBe(1)
    expect(bad.stderr).toContain('superuser login')
  })
})
