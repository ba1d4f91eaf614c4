// Minimal flag parsing: `--name=value` / `--name value`, positionals, and usage errors (exit 2).
export class UsageError extends Error {}

export interface ParsedArgs { positionals: string[]; flags: Map<string, string | true> }

export function parseArgs(argv: string[], known: Record<string, 'string' | 'boolean'>): ParsedArgs {
  const positionals: string[] = []
  const flags = new Map<string, string | true>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (!arg.startsWith('--')) { positionals.push(arg); continue }
    const eq = arg.indexOf('=')
    const name = arg.slice(2, eq === -1 ? undefined : eq)
    const kind = known[name]
    if (!kind) throw new UsageError(`unknown flag --${name}`)
    if (kind === 'boolean') { flags.set(name, true); continue }
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1)
    if (value === undefined || value === '') throw new UsageError(`--${name} needs a value`)
    flags.set(name, value)
  }
  return { positionals, flags }
}
