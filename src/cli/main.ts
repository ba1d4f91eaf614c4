// Command dispatch: serve | superuser | migrate | export | import | import-pocketbase; prints usage and returns exit code 2 on bad arguments.
import { UsageError } from './args.ts'
import { serveCommand, SERVE_USAGE } from './commands/serve.ts'
import { superuserCommand, SUPERUSER_USAGE } from './commands/superuser.ts'
import { migrateCommand, MIGRATE_USAGE } from './commands/migrate.ts'
import { exportCommand, EXPORT_USAGE } from './commands/export.ts'
import { importCommand, IMPORT_USAGE } from './commands/import.ts'
import { importPocketbaseCommand, IMPORT_POCKETBASE_USAGE } from './commands/import-pocketbase.ts'
import { typegenCommand, TYPEGEN_USAGE } from './commands/typegen.ts'
import { VERSION } from '../version.ts'

const USAGE = `Usage: basalt <command> [flags]

Commands:
  serve        Start the HTTP server
  superuser    Manage superusers (upsert, list, delete)
  migrate      Create/upgrade the schema, or copy a database (--from/--to)
  export       Dump the database to a file
  import       Load an export file into the database
  import-pocketbase  Move a PocketBase data directory (pb_data) into Basalt
  typegen      Write TypeScript types for the collections

Run "basalt <command> --help" for the command's flags; "basalt --version" prints the version.`

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case 'serve':
        if (rest.includes('--help')) return help(SERVE_USAGE)
        return await serveCommand(rest)
      case 'superuser':
        if (rest.includes('--help')) return help(SUPERUSER_USAGE)
        return await superuserCommand(rest)
      case 'migrate':
        if (rest.includes('--help')) return help(MIGRATE_USAGE)
        return await migrateCommand(rest)
      case 'export':
        if (rest.includes('--help')) return help(EXPORT_USAGE)
        return await exportCommand(rest)
      case 'import':
        if (rest.includes('--help')) return help(IMPORT_USAGE)
        return await importCommand(rest)
      case 'import-pocketbase':
        if (rest.includes('--help')) return help(IMPORT_POCKETBASE_USAGE)
        return await importPocketbaseCommand(rest)
      case 'typegen':
        if (rest.includes('--help')) return help(TYPEGEN_USAGE)
        return await typegenCommand(rest)
      case '--version':
      case '-v':
      case 'version':
        console.log(`basalt ${VERSION}`)
        return 0
      case undefined:
      case '--help':
      case 'help':
        return help(USAGE, command === undefined ? 2 : 0)
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`)
    }
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`basalt: ${err.message}\n`)
      const usages = new Map([['serve', SERVE_USAGE], ['superuser', SUPERUSER_USAGE], ['migrate', MIGRATE_USAGE], ['export', EXPORT_USAGE], ['import', IMPORT_USAGE], ['import-pocketbase', IMPORT_POCKETBASE_USAGE]])
      console.error(usages.get(command ?? '') ?? USAGE)
      return 2
    }
    console.error(`basalt: ${(err as Error).message}`)
    return 1
  }
}

function help(text: string, code = 0): number {
  ;(code === 0 ? console.log : console.error)(text)
  return code
}
