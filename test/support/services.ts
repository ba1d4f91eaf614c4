// Where the optional services for the scale-out tests live, and whether they answer.
import { spawnSync } from 'node:child_process'
import path from 'node:path'

export const POSTGRES_URL = process.env.BASALT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
export const REDIS_URL = process.env.BASALT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

const probeScript = path.resolve(import.meta.dirname, 'probe.mjs')

export function probe(kind: 'postgres' | 'redis'): boolean {
  const url = kind === 'postgres' ? POSTGRES_URL : REDIS_URL
  return spawnSync(process.execPath, [probeScript, kind, url], { timeout: 5000 }).status === 0
}
