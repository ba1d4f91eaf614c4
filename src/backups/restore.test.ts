// The restore swap: applied only when staged and READY, and resumable after a crash part-way through.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { applyStagedRestore, STAGED_DIR } from './restore.ts'

const dirs: string[] = []
afterEach(() => { for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true }) })

function layout(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basalt-restore-unit-'))
  dirs.push(dir)
  for (const [name, body] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
    fs.writeFileSync(path.join(dir, name), body)
  }
  return dir
}
const read = (dir: string, name: string) => (fs.existsSync(path.join(dir, name)) ? fs.readFileSync(path.join(dir, name), 'utf8') : null)

describe('applyStagedRestore', () => {
  it('does nothing without a READY staged restore', async () => {
    const dir = layout({ 'data.db': 'live', [`${STAGED_DIR}/data.db`]: 'half-unpacked' })
    expect(await applyStagedRestore(dir)).toBe(false)
    expect(read(dir, 'data.db')).toBe('live')
  })

  it('replaces the databases (dropping stale WAL files) and storage, keeps backups/', async () => {
    const dir = layout({
      'data.db': 'live', 'data.db-wal': 'stale wal', 'auxiliary.db': 'live logs', 'storage/c/r/old.txt': 'old', 'backups/b.zip': 'zip',
      [`${STAGED_DIR}/data.db`]: 'restored', [`${STAGED_DIR}/storage/c/r/new.txt`]: 'new', [`${STAGED_DIR}/READY`]: '',
    })
    expect(await applyStagedRestore(dir)).toBe(true)
    expect(read(dir, 'data.db')).toBe('restored')
    expect(read(dir, 'data.db-wal')).toBeNull()
    expect(read(dir, 'auxiliary.db')).toBeNull()
    expect(read(dir, 'storage/c/r/new.txt')).toBe('new')
    expect(read(dir, 'storage/c/r/old.txt')).toBeNull()
    expect(read(dir, 'backups/b.zip')).toBe('zip')
    expect(fs.readdirSync(dir).sort()).toEqual(['backups', 'data.db', 'storage'])
  })

  it('resumes after a crash between moving the old data out and moving the new data in', async () => {
    const dir = layout({
      '.restore-old/data.db': 'live', '.restore-old/MOVED': '', 'storage/c/r/new.txt': 'new',
      [`${STAGED_DIR}/data.db`]: 'restored', [`${STAGED_DIR}/READY`]: '',
    })
    expect(await applyStagedRestore(dir)).toBe(true)
    expect(read(dir, 'data.db')).toBe('restored')
    expect(read(dir, 'storage/c/r/new.txt')).toBe('new')
    expect(fs.readdirSync(dir).sort()).toEqual(['data.db', 'storage'])
  })
})
