// `basalt superuser upsert|list|delete`: manage superusers from the command line (plain stdout for humans).
import { createApp, type App } from '../../app.ts'
import { fromEnv, resolveConfig, type Config } from '../../config.ts'
import { SUPERUSERS_NAME } from '../../core/collections/types.ts'
import { ApiError } from '../../core/errors.ts'
import { sql } from '../../store/sql.ts'
import { guestRequest } from '../../rules/request-info.ts'
import { parseArgs, UsageError } from '../args.ts'
import { checkDataDir, waitForPostgres } from '../startup-checks.ts'

export const SUPERUSER_USAGE = `Usage: basalt superuser upsert EMAIL PASSWORD [--dir=DATA_DIR]
       basalt superuser list [--dir=DATA_DIR]
       basalt superuser delete EMAIL [--dir=DATA_DIR]

  upsert   creates the superuser EMAIL, or resets its password if it exists
  list     prints every superuser: email, id, created
  delete   deletes the superuser EMAIL (not the last one)
  --dir    data directory (default ./basalt_data, env BASALT_DIR)`

const ARITY: Record<string, number> = { upsert: 2, list: 0, delete: 1 }

export async function superuserCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { dir: 'string' })
  const [action, ...rest] = args.positionals
  if (!action) throw new UsageError('missing action')
  if (!(action in ARITY)) throw new UsageError(`unknown superuser action ${JSON.stringify(action)}`)
  if (rest.length < ARITY[action]) throw new UsageError(action === 'upsert' ? 'upsert needs EMAIL and PASSWORD' : `${action} needs EMAIL`)
  if (rest.length > ARITY[action]) throw new UsageError(`unexpected argument ${JSON.stringify(rest[ARITY[action]])}`)
  const flags: Partial<Config> = args.flags.has('dir') ? { dataDir: String(args.flags.get('dir')) } : {}
  const config = resolveConfig(fromEnv(process.env), flags, { logLevel: 'silent' })
  // Same precise messages as `serve` for an unusable data directory or an unreachable PostgreSQL.
  checkDataDir(config.dataDir)
  if (config.databaseUrl) await waitForPostgres(config.databaseUrl, Math.min(config.pgStartTimeoutMs, 5000))
  const app = await createApp(config)
  try {
    if (action === 'list') return await list(app)
    if (action === 'delete') return await remove(app, rest[0])
    return await upsert(app, rest[0], rest[1])
  } catch (err) {
    if (err instanceof ApiError) {
      const details = Object.entries(err.data).map(([k, v]) => `  ${k}: ${(v as { message?: string }).message ?? ''}`).join('\n')
      console.error(`basalt: ${err.message}${details ? '\n' + details : ''}`)
      return 1
    }
    throw err
  } finally {
    await app.close()
  }
}

const asCli = (app: App) => guestRequest({ auth: { collection: app.collections.get(SUPERUSERS_NAME), record: { id: 'cli' } } })

function findByEmail(app: App, email: string) {
  return app.store.get<{ id: string; email: string }>(sql`SELECT "id", "email" FROM "_superusers" WHERE ${app.store.dialect.equalsIgnoreCase(sql`"email"`, sql`${email}`)}`)
}

async function upsert(app: App, email: string, password: string): Promise<number> {
  const c = app.collections.get(SUPERUSERS_NAME)
  const existing = await findByEmail(app, email)
  const body = { email, password, passwordConfirm: password }
  if (existing) await app.records.update(c, existing.id, { body, files: new Map() }, {}, asCli(app))
  else await app.records.create(c, { body, files: new Map() }, {}, asCli(app))
  console.log(`Superuser ${email} ${existing ? 'updated' : 'created'}.`)
  return 0
}

async function list(app: App): Promise<number> {
  const rows = await app.store.all<{ id: string; email: string; created: string }>(sql`SELECT "id", "email", "created" FROM "_superusers" ORDER BY "created", "email"`)
  if (!rows.length) console.log('No superusers. Create one with: basalt superuser upsert EMAIL PASSWORD')
  for (const r of rows) console.log(`${r.email}\t${r.id}\t${r.created}`)
  return 0
}

async function remove(app: App, email: string): Promise<number> {
  const existing = await findByEmail(app, email)
  if (!existing) {
    console.error(`basalt: no superuser ${email}`)
    return 1
  }
  const count = await app.store.get<{ n: number | string }>(sql`SELECT COUNT(*) AS "n" FROM "_superusers"`)
  // Deleting the last one would lock everybody out of the collections and settings APIs.
  if (Number(count?.n ?? 0) <= 1) {
    console.error(`basalt: ${existing.email} is the only superuser; create another one first`)
    return 1
  }
  await app.records.delete(app.collections.get(SUPERUSERS_NAME), existing.id, asCli(app))
  console.log(`Superuser ${existing.email} deleted.`)
  return 0
}
