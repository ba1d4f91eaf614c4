// Command dispatch: serve | superuser; prints usage and returns exit code 2 on bad arguments.
import { UsageError } from './args.ts'
import { serveCommand, SERVE_USAGE } from './commands/serve.ts'
import { superuserCommand, SUPERUSER_USAGE } from './commands/superuser.ts'

const USAGE = `Usage: basalt <command> [flags]

Commands:
  serve        Start the HTTP server
  superuser    Manage superusers (upsert)

Run "basalt <command> --help" for the command's flags.`

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
      console.error(command === 'serve' ? SERVE_USAGE : command === 'superuser' ? SUPERUSER_USAGE : USAGE)
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
