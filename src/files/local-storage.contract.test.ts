// LocalFileStorage through the shared FileStorage contract (the S3 backend passes the same suite).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll } from 'vitest'
import { fileStorageContract } from '../../test/contracts/file-storage.contract.ts'
import { LocalFileStorage } from './local-storage.ts'

const dirs: string[] = []
afterAll(() => { for (const d of dirs) fs.rmSync(d, { recursive: true, force: true }) })

fileStorageContract('local', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basalt-files-'))
  dirs.push(dir)
  return new LocalFileStorage(dir)
})
