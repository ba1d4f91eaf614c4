// `basalt typegen --out=FILE`: TypeScript types for every collection, from the local store or a running server.
import fs from 'node:fs'
import path from 'node:path'
import { openStore } from '../../app.ts'
import { fromEnv, resolveConfig, type Config } from '../../config.ts'
import { CollectionService } from '../../core/collections/collection-service.ts'
import { collectionToJson } from '../../core/collections/collection-json.ts'
import { systemClock } from '../../core/clock.ts'
import { generateTypes, type SchemaCollection } from '../../typegen/generate.ts'
import { parseArgs, UsageError } from '../args.ts'

export const TYPEGEN_USAGE = `Usage: basalt typegen --out=FILE [--dir=DATA_DIR]
       basalt typegen --out=FILE --url=URL (--token=SUPERUSER_TOKEN | --email=EMAIL --password=PASSWORD)

  Writes TypeScript types for every collection: <Name>Record, <Name>Create, <Name>Update, <Name>Expand,
  <Name>Response and a TypedPocketBase for the pocketbase SDK (the shape of pocketbase-typegen).
  Without --url the schema is read from the configured store (DATABASE_URL, else SQLite in DATA_DIR).
  --out        file to write
  --dir        data directory (default ./basalt_data, env BASALT_DIR)
  --url        a running Basalt (or PocketBase) server; needs a superuser token or email + password`

export async function typegenCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { out: 'string', dir: 'string', url: 'string', token: 'string', email: 'string', password: 'string' })
  if (args.positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[0])}`)
  const out = args.flags.get('out')
  if (typeof out !== 'string') throw new UsageError('--out=FILE is required')
  const url = args.flags.get('url')
  const schema = typeof url === 'string'
    ? await remoteSchema(url, args.flags.get('token') as string | undefined, args.flags.get('email') as string | undefined, args.flags.get('password') as string | undefined)
    : await localSchema(resolveConfig(fromEnv(process.env), args.flags.has('dir') ? { dataDir: String(args.flags.get('dir')) } : {} as Partial<Config>))
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true })
  fs.writeFileSync(out, generateTypes(schema))
  console.log(`Wrote types for ${schema.length} collections to ${path.resolve(out)}.`)
  return 0
}

async function localSchema(config: Config): Promise<SchemaCollection[]> {
  if (!config.databaseUrl && !fs.existsSync(path.join(config.dataDir, 'data.db'))) throw new Error(`no Basalt database in ${config.dataDir}`)
  const store = openStore(config)
  try {
    const collections = new CollectionService(store, systemClock)
    await collections.reload()
    return collections.all().map((c) => collectionToJson(c) as unknown as SchemaCollection)
  } finally {
    await store.close()
  }
}

async function remoteSchema(url: string, token?: string, email?: string, password?: string): Promise<SchemaCollection[]> {
  const base = url.replace(/\/+$/, '')
  if (!token) {
    if (!email || !password) throw new UsageError('--url needs --token or --email and --password')
    const res = await fetch(`${base}/api/collections/_superusers/auth-with-password`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ identity: email, password }),
    })
    if (!res.ok) throw new Error(`superuser login at ${base} failed: HTTP ${res.status}`)
    token = (await res.json() as { token: string }).token
  }
  const res = await fetch(`${base}/api/collections?perPage=1000&skipTotal=1`, { headers: { authorization: token } })
  if (!res.ok) throw new Error(`reading collections from ${base} failed: HTTP ${res.status}`)
  return (await res.json() as { items: SchemaCollection[] }).items
}
