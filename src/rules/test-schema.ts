// Test helper: a small schema (users, teams, tags, posts, comments, memberships, vault) plus tables and seed rows.
import Database from 'better-sqlite3'
import { fieldKind } from '../core/collections/fields/index.ts'
import type { Collection, Field, SchemaLookup } from '../core/collections/types.ts'
import { sqliteDialect } from '../store/dialects/sqlite.ts'
import type { SqlDialect } from '../store/dialects/types.ts'
import type { CompileOptions } from './resolve-context.ts'
import { guestRequest, type RequestInfo } from './request-info.ts'

type Opt = Record<string, unknown>
const base = (name: string, type: Field['type'], extra: Opt = {}) =>
  ({ id: `${type}_${name}`, name, type, system: false, hidden: false, presentable: false, required: false, ...extra }) as unknown as Field

export const f = {
  text: (name: string, extra: Opt = {}) => base(name, 'text', { min: 0, max: 0, pattern: '', autogeneratePattern: '', primaryKey: false, ...extra }),
  number: (name: string) => base(name, 'number', { min: null, max: null, onlyInt: false }),
  bool: (name: string) => base(name, 'bool'),
  email: (name: string) => base(name, 'email', { exceptDomains: null, onlyDomains: null }),
  date: (name: string) => base(name, 'date', { min: '', max: '' }),
  json: (name: string) => base(name, 'json', { maxSize: 0 }),
  password: (name: string) => base(name, 'password', { hidden: true, min: 0, max: 0, pattern: '', cost: 10 }),
  select: (name: string, values: string[], maxSelect = 1) => base(name, 'select', { values, maxSelect }),
  relation: (name: string, collectionId: string, maxSelect = 1) =>
    base(name, 'relation', { collectionId, maxSelect, minSelect: 0, cascadeDelete: false }),
}

export function collection(name: string, fields: Field[], extra: Partial<Collection> = {}): Collection {
  return {
    id: `id_${name}`, name, type: 'base', system: false, indexes: [],
    fields: [f.text('id', { primaryKey: true, system: true }), ...fields],
    listRule: '', viewRule: '', createRule: '', updateRule: '', deleteRule: '', created: '', updated: '',
    ...extra,
  }
}

export function lookup(collections: Collection[]): SchemaLookup {
  return {
    find: (idOrName) => collections.find((c) => c.id === idOrName || c.name.toLowerCase() === idOrName.toLowerCase()),
    all: () => collections,
  }
}

export function buildSchema(): { schema: SchemaLookup; byName: Record<string, Collection> } {
  const users = collection('users', [
    f.email('email'), f.bool('emailVisibility'), f.bool('verified'), f.password('password'),
    f.text('tokenKey', { hidden: true }), f.text('name'), f.select('role', ['admin', 'member']),
    f.relation('team', 'id_teams'),
  ], { type: 'auth' })
  const teams = collection('teams', [f.text('name'), f.relation('owner', 'id_users')])
  const tags = collection('tags', [f.text('name'), f.bool('hidden_tag')], { listRule: 'hidden_tag = false' })
  const vault = collection('vault', [f.text('code')], { listRule: null })
  const posts = collection('posts', [
    f.text('title'), f.select('status', ['draft', 'active']), f.relation('owner', 'id_users'),
    f.relation('tags', 'id_tags', 5), f.select('labels', ['a', 'b', 'c'], 3), f.json('data'),
    f.number('views'), f.bool('published'), f.date('created'), f.text('secret', { hidden: true }),
    f.relation('vault', 'id_vault'),
  ], { listRule: 'owner = @request.auth.id' })
  const comments = collection('comments', [f.relation('post', 'id_posts'), f.relation('author', 'id_users'), f.text('message')])
  const memberships = collection('memberships', [f.relation('user', 'id_users'), f.relation('team', 'id_teams'), f.text('role')])
  const all = [users, teams, tags, vault, posts, comments, memberships]
  return { schema: lookup(all), byName: Object.fromEntries(all.map((c) => [c.name, c])) }
}

type Row = Record<string, unknown>
/** Rows per collection, in insertion order; booleans as 0/1, arrays and JSON as JSON text. */
export const SEED: Record<string, Row[]> = {
  users: [
    { id: 'u1', email: 'alice@x.io', emailVisibility: 1, verified: 1, name: 'Alice', role: 'admin', team: 'tm1', tokenKey: 'k1', password: 'h1' },
    { id: 'u2', email: 'bob@x.io', emailVisibility: 0, verified: 0, name: 'Bob', role: 'member', team: 'tm2', tokenKey: 'k2', password: 'h2' },
    { id: 'u3', email: 'carol@x.io', emailVisibility: 1, verified: 1, name: '', role: '', team: '', tokenKey: 'k3', password: 'h3' },
  ],
  teams: [{ id: 'tm1', name: 'Red', owner: 'u1' }, { id: 'tm2', name: 'Blue', owner: 'u2' }],
  tags: [{ id: 't1', name: 'news', hidden_tag: 0 }, { id: 't2', name: 'tech', hidden_tag: 0 }, { id: 't3', name: 'news', hidden_tag: 1 }],
  vault: [{ id: 'v1', code: 'secret-code' }],
  posts: [
    { id: 'p1', title: 'Hello World', status: 'active', owner: 'u1', tags: '["t1","t2"]', labels: '["a","b"]', data: '{"theme":"dark","items":[{"x":1},{"x":2}]}', views: 10, published: 1, created: '2024-05-01 10:00:00.000Z', secret: 's1', vault: 'v1' },
    { id: 'p2', title: '100% sure_thing', status: 'draft', owner: 'u2', tags: '["t1"]', labels: '["a"]', data: '{"theme":"light"}', views: 5, published: 0, created: '2024-05-02 10:00:00.000Z', secret: 's2', vault: '' },
    { id: 'p3', title: '', status: '', owner: '', tags: '[]', labels: '[]', data: null, views: 0, published: 0, created: '2024-06-01 00:00:00.000Z', secret: '', vault: '' },
    { id: 'p4', title: 'Lorem ipsum', status: 'active', owner: 'u3', tags: '["t3"]', labels: '["c"]', data: '{"theme":"dark"}', views: 100, published: 1, created: '2024-05-01 23:59:59.999Z', secret: 's4', vault: '' },
  ],
  comments: [
    { id: 'c1', post: 'p1', author: 'u2', message: 'hello there' },
    { id: 'c2', post: 'p1', author: 'u1', message: 'thanks' },
    { id: 'c3', post: 'p2', author: 'u2', message: 'hello again' },
  ],
  memberships: [
    { id: 'm1', user: 'u1', team: 'tm1', role: 'owner' },
    { id: 'm2', user: 'u2', team: 'tm1', role: 'member' },
    { id: 'm3', user: 'u2', team: 'tm2', role: 'owner' },
  ],
}

/** CREATE TABLE of a collection with the dialect's column types (as the stores create them). */
export function createTableSql(c: Collection, dialect: SqlDialect): string {
  const cols = c.fields.map((fl) => (fl.name === 'id'
    ? '"id" TEXT PRIMARY KEY NOT NULL'
    : `"${fl.name}" ${dialect.columnType(fieldKind(fl.type)!.columnKind(fl as never))}`))
  return `CREATE TABLE "${c.name}" (${[...cols, ...dialect.systemColumns].join(', ')})`
}

/** INSERT statements (text + params, rendered for the dialect) seeding every table with SEED. */
export function seedStatements(dialect: SqlDialect): { sql: string; params: unknown[] }[] {
  return Object.entries(SEED).flatMap(([name, rows]) => rows.map((row) => {
    const keys = Object.keys(row)
    const values = keys.map((_, i) => dialect.placeholder(i)).join(', ')
    return { sql: `INSERT INTO "${name}" (${keys.map((k) => `"${k}"`).join(', ')}) VALUES (${values})`, params: keys.map((k) => row[k]) }
  }))
}

/** In-memory SQLite with one table per collection, seeded with SEED. */
export function seededDb(): Database.Database {
  const db = new Database(':memory:')
  const { byName } = buildSchema()
  for (const c of Object.values(byName)) db.exec(createTableSql(c, sqliteDialect))
  for (const s of seedStatements(sqliteDialect)) db.prepare(s.sql).run(...s.params)
  return db
}

export function authAs(userId: string, extra: Row = {}): RequestInfo {
  const { byName } = buildSchema()
  const record = SEED.users.find((u) => u.id === userId)!
  const { password: _p, tokenKey: _t, ...pub } = record
  return guestRequest({ auth: { collection: byName.users, record: { ...pub, emailVisibility: !!pub.emailVisibility, verified: !!pub.verified, ...extra } } })
}

export function options(collectionName: string, overrides: Partial<CompileOptions> = {}): CompileOptions {
  const { schema, byName } = buildSchema()
  return {
    schema, collection: byName[collectionName], alias: 'r', request: guestRequest(), restricted: false,
    dialect: sqliteDialect, now: new Date('2024-05-01T12:34:56.789Z'), ...overrides,
  }
}
