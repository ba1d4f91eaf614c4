// RoleService: effective roles through inheritance, from a real SQLite `_roles` table.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SqliteStore } from '../store/sqlite-store.ts'
import { sql } from '../store/sql.ts'
import { RoleService } from './roles.ts'
import { guestRequest } from '../rules/request-info.ts'
import { usersCollection } from '../core/collections/system-collections.ts'

let dir: string
let store: SqliteStore
let roles: RoleService

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basalt-roles-'))
  store = new SqliteStore({ file: path.join(dir, 'r.db') })
  await store.exec(`CREATE TABLE "_roles" ("id" TEXT PRIMARY KEY, "name" TEXT, "inherits" TEXT)`)
  const rows: [string, string, string[]][] = [
    ['r_viewer', 'viewer', []], ['r_editor', 'editor', ['r_viewer']], ['r_admin', 'admin', ['r_editor', 'r_audit']],
    ['r_audit', 'audit', []], ['r_loop1', 'loop1', ['r_loop2']], ['r_loop2', 'loop2', ['r_loop1']],
  ]
  for (const [id, name, inherits] of rows) await store.run(sql`INSERT INTO "_roles" VALUES (${id}, ${name}, ${JSON.stringify(inherits)})`)
  roles = new RoleService(store)
  await roles.reload()
})
afterAll(async () => { await store.close(); fs.rmSync(dir, { recursive: true, force: true }) })

describe('RoleService.effectiveNames', () => {
  it.each([
    [[], []],
    [['r_viewer'], ['viewer']],
    [['r_editor'], ['editor', 'viewer']],
    [['r_admin'], ['admin', 'audit', 'editor', 'viewer']],
    [['r_loop1'], ['loop1', 'loop2']],
    [['r_unknown', 'r_viewer'], ['viewer']],
  ])('%j → %j', (ids, names) => {
    expect(roles.effectiveNames(ids)).toEqual(names)
  })

  it('ignores non-list input', () => {
    expect(roles.effectiveNames('r_admin')).toEqual([])
    expect(roles.effectiveNames(null)).toEqual([])
  })

  it('forRules replaces role ids by effective names for auth collections with a roles field only', () => {
    const users = usersCollection(new Date())
    const info = guestRequest({ auth: { collection: users, record: { id: 'u1', roles: ['r_editor'] } } })
    expect(roles.forRules(info).auth!.record.roles).toEqual(['editor', 'viewer'])
    expect(info.auth!.record.roles).toEqual(['r_editor'])
    const noRoles = { ...users, fields: users.fields.filter((f) => f.name !== 'roles') }
    const other = guestRequest({ auth: { collection: noRoles, record: { id: 'u1', roles: ['r_editor'] } } })
    expect(roles.forRules(other)).toBe(other)
  })
})
