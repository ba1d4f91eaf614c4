// `basalt superuser upsert EMAIL PASSWORD`: create a superuser or reset its password.
import { createApp } from '../../app.ts'
import { fromEnv, resolveConfig, type Config } from '../../config.ts'
import { SUPERUSERS_NAME } from '../../core/collections/types.ts'
import { ApiError } from '../../core/errors.ts'
import { sql } from '../../store/sql.ts'
import { guestRequest } from '../../rules/request-info.ts'
import { parseArgs, UsageError } from '../args.ts'

export const SUPERUSER_USAGE = `Usage: basalt superuser upsert EMAIL PASSWORD [--dir=DATA_DIR]

  Creates the superuser EMAIL, or resets its password if it exists.
  --dir    data directory (default ./basalt_data, env BASALT_DIR)`

export async function superuserCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { dir: 'string' })
  const [action, email, password, ...extra] = args.positionals
  if (action !== 'upsert') throw new UsageError(action ? `unknown superuser action ${JSON.stringify(action)}` : 'missing action')
  if (!email || !password) throw new UsageError('upsert needs EMAIL and PASSWORD')
  if (extra.length) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`)
  const flags: Partial<Config> = args.flags.has('dir') ? { dataDir: String(args.flags.get('dir')) } : {}
  const app = await createApp(resolveConfig(fromEnv(process.env), flags, { logLevel: 'silent' }))
  try {
    const c = app.collections.get(SUPERUSERS_NAME)
    const existing = await app.store.get<{ id: string }>(sql`SELECT "id" FROM "_superusers" WHERE ${app.store.dialect.equalsIgnoreCase(sql`"email"`, sql`${email}`)}`)
    const asSuperuser = guestRequest({ auth: { collection: c, record: { id: 'cli' } } })
    const body = { email, password, passwordConfirm: password }
    if (existing) await app.records.update(c, existing.id, { body, files: new Map() }, {}, asSuperuser)
    else await app.records.create(c, { body, files: new Map() }, {}, asSuperuser)
    console.log(`Superuser ${email} ${existing ? 'updated' : 'created'}.`)
    return 0
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
