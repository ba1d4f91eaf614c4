// Builds PocketBase v0.23+ data directories (data.db, auxiliary.db, storage/) for import tests, with better-sqlite3.
//
// The layout follows PocketBase's own source (core/collection_model.go, core/db_table.go, core/field_*.go,
// migrations/1640988000_init.go):
// - `_collections(id, system BOOLEAN, type, name, fields JSON, indexes JSON, listRule…deleteRule, options JSON,
//   created, updated)`; `fields`, `indexes` and `options` hold JSON text; auth options (token secrets and
//   durations, templates, passwordAuth…) live in `options`.
// - `_params(id, value JSON, created, updated)`: the row `settings` holds the settings object as JSON
//   (or AES ciphertext when PocketBase runs with an encryption key).
// - One table per collection, a column per field, PocketBase's column conventions:
//   text/email/url/editor/date/autodate/password and single select/relation/file: `TEXT DEFAULT '' NOT NULL`;
//   number: `NUMERIC DEFAULT 0 NOT NULL`; bool: `BOOLEAN DEFAULT FALSE NOT NULL` (0/1);
//   json: `JSON DEFAULT NULL` (JSON text); geoPoint: `JSON DEFAULT '{"lon":0,"lat":0}' NOT NULL`; multi select/relation/file (maxSelect > 1): `JSON DEFAULT '[]' NOT NULL`
//   (a JSON array as text); dates as `YYYY-MM-DD HH:MM:SS.sssZ` text.
// - Passwords: bcrypt (`$2a$`, cost 10 by default); tokenKey: 50 random chars.
// - Files: `storage/<collectionId>/<recordId>/<filename>`, thumbs in `thumbs_<filename>/<WxH>_<filename>`.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import Database from 'better-sqlite3'
import bcrypt from 'bcryptjs'
import { SignJWT } from 'jose'

export const PB_SUPERUSERS_ID = 'pbc_3142635823'
export const PB_USERS_ID = '_pb_users_auth_'
export const PB_POSTS_ID = 'pbc_1125843985'
export const PB_EXTERNAL_AUTHS_ID = 'pbc_2281828961'

type Field = Record<string, unknown>
const sys = { system: true, hidden: false, presentable: false }
const usr = { system: false, hidden: false, presentable: false }

const idField = (): Field => ({ ...sys, id: 'text3208210256', name: 'id', type: 'text', autogeneratePattern: '[a-z0-9]{15}', max: 15, min: 15, pattern: '^[a-z0-9]+$', primaryKey: true, required: true })
const text = (name: string, extra: Field = {}): Field => ({ ...usr, id: `text_${name}`, name, type: 'text', autogeneratePattern: '', max: 0, min: 0, pattern: '', primaryKey: false, required: false, ...extra })
const autodates = (): Field[] => [
  { ...sys, id: 'autodate2990389176', name: 'created', type: 'autodate', onCreate: true, onUpdate: false },
  { ...sys, id: 'autodate3332085495', name: 'updated', type: 'autodate', onCreate: true, onUpdate: true },
]
const authFields = (): Field[] => [
  { ...sys, hidden: true, id: 'password901924565', name: 'password', type: 'password', cost: 0, max: 0, min: 8, pattern: '', required: true },
  { ...sys, hidden: true, id: 'text2504183744', name: 'tokenKey', type: 'text', autogeneratePattern: '[a-zA-Z0-9]{50}', max: 60, min: 30, pattern: '', primaryKey: false, required: true },
  { ...sys, id: 'email3885137012', name: 'email', type: 'email', exceptDomains: null, onlyDomains: null, required: true },
  { ...sys, id: 'bool1547992806', name: 'emailVisibility', type: 'bool', required: false },
  { ...sys, id: 'bool256245529', name: 'verified', type: 'bool', required: false },
]

const secret = () => randomBytes(25).toString('hex')
const template = (subject: string) => ({ subject, body: `<p>${subject}</p>` })

function authOptions(authDuration: number) {
  return {
    authRule: '', manageRule: null,
    authAlert: { enabled: false, emailTemplate: template('Login from a new location') },
    oauth2: { providers: [], mappedFields: { id: '', name: '', username: '', avatarURL: '' }, enabled: false },
    passwordAuth: { enabled: true, identityFields: ['email'] },
    mfa: { enabled: false, duration: 1800, rule: '' },
    otp: { enabled: false, duration: 180, length: 8, emailTemplate: template('OTP for {APP_NAME}') },
    authToken: { secret: secret(), duration: authDuration },
    passwordResetToken: { secret: secret(), duration: 1800 },
    emailChangeToken: { secret: secret(), duration: 1800 },
    verificationToken: { secret: secret(), duration: 259200 },
    fileToken: { secret: secret(), duration: 180 },
    verificationTemplate: template('Verify your {APP_NAME} email'),
    resetPasswordTemplate: template('Reset your {APP_NAME} password'),
    confirmEmailChangeTemplate: template('Confirm your {APP_NAME} new email address'),
  }
}

interface CollectionDef {
  id: string; name: string; type: 'base' | 'auth' | 'view'; system: boolean; fields: Field[]; indexes: string[]
  rules: [string | null, string | null, string | null, string | null, string | null]
  options: Record<string, unknown>; created: string
}

/** PocketBase's column type per field (core/field_*.go ColumnType). */
function columnType(f: Field): string {
  if (f.name === 'id') return `TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL`
  switch (f.type) {
    case 'number': return 'NUMERIC DEFAULT 0 NOT NULL'
    case 'bool': return 'BOOLEAN DEFAULT FALSE NOT NULL'
    case 'json': return 'JSON DEFAULT NULL'
    case 'geoPoint': return `JSON DEFAULT '{"lon":0,"lat":0}' NOT NULL`
    case 'select': case 'relation': case 'file':
      return Number(f.maxSelect) > 1 ? `JSON DEFAULT '[]' NOT NULL` : `TEXT DEFAULT '' NOT NULL`
    default: return `TEXT DEFAULT '' NOT NULL`
  }
}

export interface PbUser { id: string; email: string; password: string; tokenKey: string }

export interface PbFixture {
  dir: string
  users: PbUser[]
  superuser: PbUser
  posts: { id: string; title: string; owner: string; tags: string[]; attachment: string; public: boolean; created: string; updated: string }[]
  /** Contents of the stored attachment of posts[0]. */
  attachmentBytes: Buffer
  userAuthSecret: string
  userAuthDuration: number
  settings: Record<string, unknown>
  cleanup(): void
}

export interface FixtureOptions {
  /**
   * Two users share an email, which the users collection's unique index forbids (the index is left out
   * of data.db so the rows can exist): the import fails midway, after other collections were written.
   */
  duplicateEmail?: boolean
  /** The settings row as ciphertext, as PocketBase writes it when run with an encryption key. */
  encryptedSettings?: boolean
  /** Last-minute edits to data.db (hostile or unusual inputs), run before it is closed. */
  tweak?: (db: Database.Database) => void
}

const q = (n: string) => `\`${n}\``

/** A PocketBase v0.23+ data dir: superuser, users (bcrypt), posts (relation, multi select, file, rules), an OAuth2 link, a stored file. */
export function buildPocketBaseDataDir(opts: FixtureOptions = {}): PbFixture {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pb-data-'))
  const db = new Database(path.join(dir, 'data.db'))
  db.exec(`
    CREATE TABLE _migrations (file VARCHAR(255) PRIMARY KEY NOT NULL, applied INTEGER NOT NULL);
    CREATE TABLE _params (id TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL, value JSON DEFAULT NULL,
      created TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%fZ')) NOT NULL, updated TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%fZ')) NOT NULL);
    CREATE TABLE _collections (id TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL, system BOOLEAN DEFAULT FALSE NOT NULL,
      type TEXT DEFAULT 'base' NOT NULL, name TEXT UNIQUE NOT NULL, fields JSON DEFAULT '[]' NOT NULL, indexes JSON DEFAULT '[]' NOT NULL,
      listRule TEXT DEFAULT NULL, viewRule TEXT DEFAULT NULL, createRule TEXT DEFAULT NULL, updateRule TEXT DEFAULT NULL, deleteRule TEXT DEFAULT NULL,
      options JSON DEFAULT '{}' NOT NULL, created TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%fZ')) NOT NULL, updated TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%fZ')) NOT NULL);
  `)
  db.prepare(`INSERT INTO _migrations VALUES (?, ?)`).run('1640988000_init.go', 1700000000000000)

  const userOpts = authOptions(1209600)
  const owner = "@request.auth.id != '' && id = @request.auth.id"
  const ownerRefs = "@request.auth.id != '' && recordRef = @request.auth.id && collectionRef = @request.auth.collectionId"
  const shortLived = (id: string, name: string, extra: Field[]): CollectionDef => ({
    id, name, type: 'base', system: true, fields: [idField(), text('collectionRef', { system: true, required: true }), text('recordRef', { system: true, required: true }), ...extra, ...autodates()],
    indexes: [], rules: [ownerRefs, ownerRefs, null, null, null], options: {}, created: '2024-11-01 10:00:00.001Z',
  })
  const collections: CollectionDef[] = [
    {
      id: PB_SUPERUSERS_ID, name: '_superusers', type: 'auth', system: true, fields: [idField(), ...authFields(), ...autodates()],
      indexes: [`CREATE UNIQUE INDEX ${q(`idx_tokenKey_${PB_SUPERUSERS_ID}`)} ON ${q('_superusers')} (${q('tokenKey')})`, `CREATE UNIQUE INDEX ${q(`idx_email_${PB_SUPERUSERS_ID}`)} ON ${q('_superusers')} (${q('email')}) WHERE ${q('email')} != ''`],
      rules: [null, null, null, null, null], options: authOptions(86400), created: '2024-11-01 10:00:00.000Z',
    },
    {
      id: PB_EXTERNAL_AUTHS_ID, name: '_externalAuths', type: 'base', system: true,
      fields: [idField(), text('collectionRef', { system: true, required: true }), text('recordRef', { system: true, required: true }), text('provider', { system: true, required: true }), text('providerId', { system: true, required: true }), ...autodates()],
      indexes: ['CREATE UNIQUE INDEX `idx_externalAuths_record_provider` ON `_externalAuths` (collectionRef, recordRef, provider)', 'CREATE UNIQUE INDEX `idx_externalAuths_collection_provider` ON `_externalAuths` (collectionRef, provider, providerId)'],
      rules: [ownerRefs, ownerRefs, null, null, ownerRefs], options: {}, created: '2024-11-01 10:00:00.001Z',
    },
    shortLived('pbc_2279338944', '_mfas', [text('method', { system: true, required: true })]),
    shortLived('pbc_1638494021', '_otps', [{ ...sys, hidden: true, id: 'password901924565', name: 'password', type: 'password', cost: 8, max: 0, min: 0, pattern: '', required: true }, text('sentTo', { system: true, hidden: true })]),
    shortLived('pbc_4275539003', '_authOrigins', [text('fingerprint', { system: true, required: true })]),
    {
      id: PB_USERS_ID, name: 'users', type: 'auth', system: false,
      fields: [idField(), ...authFields(), text('name', { max: 255 }), { ...usr, id: 'file376926767', name: 'avatar', type: 'file', maxSelect: 1, maxSize: 0, mimeTypes: ['image/jpeg', 'image/png'], protected: false, required: false, thumbs: null }, ...autodates()],
      indexes: [`CREATE UNIQUE INDEX ${q(`idx_tokenKey_${PB_USERS_ID}`)} ON ${q('users')} (${q('tokenKey')})`, `CREATE UNIQUE INDEX ${q(`idx_email_${PB_USERS_ID}`)} ON ${q('users')} (${q('email')}) WHERE ${q('email')} != ''`],
      rules: [owner, owner, '', owner, owner], options: userOpts, created: '2024-11-01 10:00:00.002Z',
    },
    {
      id: PB_POSTS_ID, name: 'posts', type: 'base', system: false,
      fields: [
        idField(), text('title', { required: true, max: 200 }),
        { ...usr, id: 'relation_owner', name: 'owner', type: 'relation', collectionId: PB_USERS_ID, cascadeDelete: false, maxSelect: 1, minSelect: 0, required: true },
        { ...usr, id: 'select_tags', name: 'tags', type: 'select', values: ['news', 'tech', 'life'], maxSelect: 3, required: false },
        { ...usr, id: 'bool_public', name: 'public', type: 'bool', required: false },
        { ...usr, id: 'number_views', name: 'views', type: 'number', min: null, max: null, onlyInt: true, required: false },
        { ...usr, id: 'json_meta', name: 'meta', type: 'json', maxSize: 0, required: false },
        { ...usr, id: 'date_published', name: 'published', type: 'date', min: '', max: '', required: false },
        { ...usr, id: 'geoPoint_location', name: 'location', type: 'geoPoint', required: false },
        { ...usr, id: 'file_attachment', name: 'attachment', type: 'file', maxSelect: 1, maxSize: 0, mimeTypes: null, protected: false, required: false, thumbs: ['100x100'] },
        ...autodates(),
      ],
      indexes: ['CREATE INDEX `idx_posts_owner` ON `posts` (`owner`)'],
      // Public posts are listed for everyone; the owner sees and edits their own.
      rules: ['public = true || owner = @request.auth.id', 'public = true || owner = @request.auth.id', "@request.auth.id != '' && owner = @request.auth.id", 'owner = @request.auth.id', 'owner = @request.auth.id'],
      options: {}, created: '2024-11-01 10:00:00.003Z',
    },
    {
      // A view collection: PocketBase keeps the query in options.viewQuery and the inferred fields in fields.
      id: 'pbc_2000000001', name: 'public_posts', type: 'view', system: false,
      fields: [{ ...idField(), autogeneratePattern: '', pattern: '', min: 0, max: 0 }, text('title')],
      indexes: [], rules: ['', '', null, null, null],
      options: { viewQuery: 'SELECT id, title FROM posts WHERE public = 1' }, created: '2024-11-01 10:00:00.004Z',
    },
  ]
  const insertCollection = db.prepare(`INSERT INTO _collections (id, system, type, name, fields, indexes, listRule, viewRule, createRule, updateRule, deleteRule, options, created, updated) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`)
  for (const c of collections) {
    insertCollection.run(c.id, c.system ? 1 : 0, c.type, c.name, JSON.stringify(c.fields), JSON.stringify(c.indexes), ...c.rules, JSON.stringify(c.options), c.created, c.created)
    if (c.type === 'view') { db.exec(`CREATE VIEW ${q(c.name)} AS ${String(c.options.viewQuery)}`); continue }
    db.exec(`CREATE TABLE ${q(c.name)} (${c.fields.map((f) => `${q(String(f.name))} ${columnType(f)}`).join(', ')})`)
    if (!(opts.duplicateEmail && c.name === 'users')) for (const idx of c.indexes) db.exec(idx)
  }

  const hash = (pw: string) => bcrypt.hashSync(pw, 10).replace(/^\$2b\$/, '$2a$') // Go's bcrypt writes $2a$
  const tokenKey = () => randomBytes(25).toString('hex')
  const superuser: PbUser = { id: 'su0000000000001', email: 'admin@pb.example.com', password: 'pb-admin-pass-1', tokenKey: tokenKey() }
  db.prepare(`INSERT INTO _superusers (id, password, tokenKey, email, emailVisibility, verified, created, updated) VALUES (?,?,?,?,0,1,?,?)`)
    .run(superuser.id, hash(superuser.password), superuser.tokenKey, superuser.email, '2024-11-02 08:00:00.000Z', '2024-11-02 08:00:00.000Z')
  const users: PbUser[] = [
    { id: 'u00000000000001', email: 'ann@pb.example.com', password: 'ann-secret-99', tokenKey: tokenKey() },
    { id: 'u00000000000002', email: 'bob@pb.example.com', password: 'bob-secret-99', tokenKey: tokenKey() },
  ]
  const insertUser = db.prepare(`INSERT INTO users (id, password, tokenKey, email, emailVisibility, verified, name, avatar, created, updated) VALUES (?,?,?,?,?,?,?,'',?,?)`)
  users.forEach((u, i) => insertUser.run(u.id, hash(u.password), u.tokenKey, u.email, i, 1, `User ${i}`, `2024-11-0${3 + i} 09:15:30.123Z`, `2024-11-1${i} 11:00:00.456Z`))
  if (opts.duplicateEmail) insertUser.run('u00000000000003', hash('x-secret-99'), tokenKey(), users[0].email, 0, 0, 'Dup', '2024-11-09 09:00:00.000Z', '2024-11-09 09:00:00.000Z')
  db.prepare(`INSERT INTO _externalAuths (id, collectionRef, recordRef, provider, providerId, created, updated) VALUES (?,?,?,?,?,?,?)`)
    .run('ea0000000000001', PB_USERS_ID, users[0].id, 'github', 'gh-4242', '2024-11-05 12:00:00.000Z', '2024-11-05 12:00:00.000Z')
  db.prepare(`INSERT INTO _authOrigins (id, collectionRef, recordRef, fingerprint, created, updated) VALUES (?,?,?,?,?,?)`)
    .run('ao0000000000001', PB_USERS_ID, users[0].id, 'fp', '2024-11-05 12:00:00.000Z', '2024-11-05 12:00:00.000Z')

  const posts: PbFixture['posts'] = [
    { id: 'p00000000000001', title: 'Public by Ann', owner: users[0].id, tags: ['news', 'tech'], attachment: 'report_a1b2c3d4e5.txt', public: true, created: '2024-12-01 10:00:00.111Z', updated: '2024-12-02 10:00:00.222Z' },
    { id: 'p00000000000002', title: 'Private by Ann', owner: users[0].id, tags: [], attachment: '', public: false, created: '2024-12-03 10:00:00.333Z', updated: '2024-12-03 10:00:00.333Z' },
    { id: 'p00000000000003', title: 'Private by Bob', owner: users[1].id, tags: ['life'], attachment: '', public: false, created: '2024-12-04 10:00:00.444Z', updated: '2024-12-04 10:00:00.444Z' },
  ]
  const insertPost = db.prepare(`INSERT INTO posts (id, title, owner, tags, public, views, meta, attachment, created, updated) VALUES (?,?,?,?,?,?,?,?,?,?)`)
  posts.forEach((p, i) => insertPost.run(p.id, p.title, p.owner, JSON.stringify(p.tags), p.public ? 1 : 0, i * 10, JSON.stringify({ n: i, nested: { ok: true } }), p.attachment, p.created, p.updated))
  // Columns left at PocketBase's defaults elsewhere ('' date, {0,0} point, NULL json on the last post).
  db.prepare(`UPDATE posts SET published = '2024-12-24 18:30:00.000Z', location = '{"lon":23.72,"lat":37.98}' WHERE id = ?`).run(posts[0].id)
  db.prepare(`UPDATE posts SET meta = NULL WHERE id = ?`).run(posts[2].id)

  const settings = {
    meta: { appName: 'Imported App', appURL: 'https://app.example.com', senderName: 'Imported', senderAddress: 'noreply@example.com', hideControls: false },
    smtp: { enabled: false, host: 'smtp.example.com', port: 587, username: 'mailer', password: 'smtp-secret', authMethod: 'PLAIN', tls: false, localName: '' },
    backups: { cron: '0 3 * * *', cronMaxKeep: 5, s3: { enabled: false, bucket: '', region: '', endpoint: '', accessKey: '', secret: '', forcePathStyle: false } },
    s3: { enabled: false, bucket: '', region: '', endpoint: '', accessKey: '', secret: '', forcePathStyle: false },
    batch: { enabled: true, maxRequests: 25, timeout: 4, maxBodySize: 0 },
    rateLimits: { rules: [{ label: '*:auth', audience: '', duration: 3, maxRequests: 20 }], enabled: false },
    trustedProxy: { headers: [], useLeftmostIP: false },
    logs: { maxDays: 9, minLevel: 0, logIP: true, logAuthId: false },
  }
  // PocketBase writes the settings through Go's []byte: SQLite keeps them as a BLOB.
  const value = opts.encryptedSettings ? Buffer.from(randomBytes(64).toString('base64')) : Buffer.from(JSON.stringify(settings))
  db.prepare(`INSERT INTO _params (id, value, created, updated) VALUES ('settings', ?, ?, ?)`).run(value, '2024-11-01 10:00:00.000Z', '2024-11-20 10:00:00.000Z')
  opts.tweak?.(db)
  db.close()

  const aux = new Database(path.join(dir, 'auxiliary.db'))
  aux.exec(`CREATE TABLE _logs (id TEXT PRIMARY KEY NOT NULL, level INTEGER DEFAULT 0 NOT NULL, message TEXT DEFAULT '' NOT NULL, data JSON DEFAULT '{}' NOT NULL, created TEXT DEFAULT '' NOT NULL)`)
  // Recent, so Basalt's retention (settings.logs.maxDays) keeps it.
  const logged = new Date().toISOString().replace('T', ' ')
  aux.prepare(`INSERT INTO _logs (id, level, message, data, created) VALUES ('log000000000001', 0, 'GET /api/health', ?, ?)`).run(JSON.stringify({ method: 'GET', url: '/api/health', status: 200 }), logged)
  aux.close()

  const attachmentBytes = Buffer.from('quarterly report, imported from PocketBase\n')
  const recordDir = path.join(dir, 'storage', PB_POSTS_ID, posts[0].id)
  fs.mkdirSync(path.join(recordDir, `thumbs_${posts[0].attachment}`), { recursive: true })
  fs.writeFileSync(path.join(recordDir, posts[0].attachment), attachmentBytes)
  fs.writeFileSync(path.join(recordDir, `thumbs_${posts[0].attachment}`, `100x100_${posts[0].attachment}`), 'thumb')

  return {
    dir, users, superuser, posts, attachmentBytes, settings,
    userAuthSecret: userOpts.authToken.secret, userAuthDuration: userOpts.authToken.duration,
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  }
}

/** An auth token exactly as PocketBase mints it: HS256 over {collectionId, exp, id, refreshable, type}, key = tokenKey + secret. */
export async function mintPocketBaseToken(user: PbUser, collectionId: string, secret: string, durationSeconds: number): Promise<string> {
  return new SignJWT({ collectionId, id: user.id, refreshable: true, type: 'auth' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setExpirationTime(Math.floor(Date.now() / 1000) + durationSeconds)
    .sign(new TextEncoder().encode(user.tokenKey + secret))
}
