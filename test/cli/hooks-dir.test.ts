// `basalt serve` with a hooks directory: files load at start, a broken file stops the start naming file:line,
// and `--dev` reloads changed files without dropping realtime connections.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { waitFor } from '../support/server.ts'
import { freePort } from '../support/ports.ts'

const BIN = path.resolve('bin/basalt.js')
const children: ChildProcess[] = []
const dirs: string[] = []

function tempDir() {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'basalt-hooks-'))
  dirs.push(d)
  return d
}

function start(args: string[]) {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { env: { ...process.env, BASALT_LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  let output = ''
  child.stdout!.on('data', (d) => (output += d))
  child.stderr!.on('data', (d) => (output += d))
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return { child, output: () => output, exit }
}

const helloHook = (greeting: string) => `import type { App } from '${path.resolve('src/index.ts')}'
export default (app: App) => {
  app.routerAdd('GET', '/api/greet/{name}', (e) => e.json(200, { text: '${greeting} ' + e.request.pathValue('name') }))
}
`

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL')
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true })
})

describe('hooks directory', { timeout: 90_000 }, () => {
  it('loads *.ts hook files at start (routes and record hooks)', async () => {
    const root = tempDir()
    fs.mkdirSync(path.join(root, 'basalt_hooks'))
    fs.writeFileSync(path.join(root, 'basalt_hooks', 'greet.ts'), helloHook('Hello'))
    const port = await freePort()
    const s = start([`--http=127.0.0.1:${port}`, `--dir=${path.join(root, 'basalt_data')}`])
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/api/health`).catch(() => null))?.ok, 30_000, () => s.output())
    expect(await (await fetch(`http://127.0.0.1:${port}/api/greet/ann`)).json()).toEqual({ text: 'Hello ann' })
  })

  it('a file that fails to load stops the start with its file, line and message', async () => {
    const hooks = tempDir()
    fs.writeFileSync(path.join(hooks, 'ok.ts'), helloHook('Hi'))
    fs.writeFileSync(path.join(hooks, 'broken.ts'), `export default (app) => {\n  const x = 1\n  app.notAFunction()\n}\n`)
    const s = start([`--http=127.0.0.1:${await freePort()}`, `--dir=${tempDir()}`, `--hooksDir=${hooks}`])
    expect(await s.exit).toBe(1)
    expect(s.output()).toContain(`${path.join(hooks, 'broken.ts')}:3:`)
    expect(s.output()).toMatch(/notAFunction is not a function/)

    fs.writeFileSync(path.join(hooks, 'broken.ts'), `export default (app) => {\n  const = 1\n}\n`)
    const again = start([`--http=127.0.0.1:${await freePort()}`, `--dir=${tempDir()}`, `--hooksDir=${hooks}`])
    expect(await again.exit).toBe(1)
    expect(again.output()).toContain(`${path.join(hooks, 'broken.ts')}:2:`)
  })

  it('--dev reloads a changed file; an open realtime stream stays connected', async () => {
    const hooks = tempDir()
    fs.writeFileSync(path.join(hooks, 'greet.ts'), helloHook('Hello'))
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    const s = start([`--http=127.0.0.1:${port}`, `--dir=${tempDir()}`, `--hooksDir=${hooks}`, '--dev'])
    await waitFor(async () => (await fetch(`${url}/api/health`).catch(() => null))?.ok, 30_000, () => s.output())
    expect(await (await fetch(`${url}/api/greet/bo`)).json()).toEqual({ text: 'Hello bo' })
    // A raw SSE stream: it must not end while the hooks reload.
    const stream = await fetch(`${url}/api/realtime`)
    const reader = stream.body!.getReader()
    let ended = false
    void (async () => { for (;;) { const { done } = await reader.read(); if (done) { ended = true; return } } })()
    fs.writeFileSync(path.join(hooks, 'greet.ts'), helloHook('Howdy'))
    await waitFor(async () => (await (await fetch(`${url}/api/greet/bo`)).json()).text === 'Howdy bo', 20_000)
    expect(ended).toBe(false)
    await reader.cancel()
  })
})
