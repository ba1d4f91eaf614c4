// Builds the dashboard (ui/dist) once per test run when it is missing; test files may race here, so a lock dir serialises them.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const UI_INDEX = path.join(ROOT, 'ui/dist/index.html')
const LOCK = path.join(ROOT, 'ui/.build-lock')

/** Newest modification time under a folder (the ui sources and config). */
function newest(dir: string): number {
  let t = 0
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs)
  }
  return t
}
const fresh = () => fs.existsSync(UI_INDEX) &&
  fs.statSync(UI_INDEX).mtimeMs >= Math.max(newest(path.join(ROOT, 'ui/src')), fs.statSync(path.join(ROOT, 'ui/vite.config.ts')).mtimeMs)

export async function ensureUiBuilt(): Promise<void> {
  const deadline = Date.now() + 120_000
  while (!fresh()) {
    let mine = false
    try { fs.mkdirSync(LOCK); mine = true } catch { /* another file is building */ }
    if (mine) {
      try {
        if (fresh()) return
        const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'ui/vite.config.ts', '--logLevel', 'warn'], { cwd: ROOT, encoding: 'utf8', timeout: 110_000 })
        if (r.status !== 0) throw new Error(`vite build failed: ${r.stderr || r.stdout || r.error}`)
        return
      } finally { fs.rmSync(LOCK, { recursive: true, force: true }) }
    }
    // A lock older than the deadline is a crashed builder's; take it over.
    if (Date.now() > deadline) { fs.rmSync(LOCK, { recursive: true, force: true }); throw new Error('timed out waiting for the ui build') }
    await new Promise((r) => setTimeout(r, 250))
  }
}
