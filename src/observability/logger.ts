// The one logger (pino): JSON lines when stdout is not a terminal, short human lines when it is; level from config.
import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino'

export type Logger = PinoLogger

export interface LoggerOptions {
  /** pino level (`fatal`…`trace`) or `silent`. */
  level: string
  /** Human lines instead of JSON; default: when stdout is a TTY. */
  pretty?: boolean
  /** Where lines go (default stdout); tests pass a collector. */
  destination?: DestinationStream
}

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' }
const OMIT = new Set(['level', 'time', 'msg', 'pid', 'hostname'])

/** One JSON log line as a human line: `12:03:04 INFO  message key=value …` (errors with their stack). */
export function prettyLine(json: string): string {
  let o: Record<string, unknown>
  try { o = JSON.parse(json) } catch { return json.endsWith('\n') ? json : json + '\n' }
  const time = new Date(Number(o.time) || Date.now()).toISOString().slice(11, 19)
  const level = (LEVEL_NAMES[Number(o.level)] ?? String(o.level)).padEnd(5)
  const extras: string[] = []
  let stack = ''
  for (const [k, v] of Object.entries(o)) {
    if (OMIT.has(k)) continue
    if (k === 'err' && v && typeof v === 'object') {
      const e = v as { message?: string; stack?: string }
      extras.push(`err=${JSON.stringify(e.message ?? '')}`)
      if (e.stack) stack = '\n  ' + e.stack.split('\n').slice(1).join('\n  ')
      continue
    }
    extras.push(`${k}=${typeof v === 'string' ? (/\s/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v)}`)
  }
  return `${time} ${level} ${String(o.msg ?? '')}${extras.length ? ' ' + extras.join(' ') : ''}${stack}\n`
}

function prettyStream(out: NodeJS.WritableStream): DestinationStream {
  return { write: (line: string) => { out.write(prettyLine(line)) } }
}

export function createLogger(opts: LoggerOptions): Logger {
  const pretty = opts.pretty ?? !!process.stdout.isTTY
  const destination = opts.destination ?? (pretty ? prettyStream(process.stdout) : pino.destination({ dest: 1, sync: true }))
  return pino({
    level: opts.level,
    base: undefined, // no pid/hostname on every line
    serializers: { err: pino.stdSerializers.err },
  }, destination)
}

/** For code paths that run before an app exists (CLI parsing) or in unit tests: logs nothing. */
export const silentLogger: Logger = pino({ level: 'silent' })

let fallback: Logger | undefined
/**
 * The logger for modules built without one (unit tests, library use): level from BASALT_LOG_LEVEL.
 * The app passes its own logger everywhere, so a running server never writes through this one.
 */
export function processLogger(): Logger {
  return (fallback ??= createLogger({ level: process.env.BASALT_LOG_LEVEL ?? 'info' }))
}
