// `basalt serve`: start the server; on SIGTERM/SIGINT stop accepting, drain, close streams and the database.
import { startDraining } from '../../http/draining.ts'
import { createBasalt, type Basalt } from '../../framework/basalt.ts'
import { HookLoadError } from '../../framework/hooks-loader.ts'
import { ConfigError, corsOrigins, fromEnv, parseHttpAddress, resolveConfig, type Config } from '../../config.ts'
import { parseArgs, UsageError } from '../args.ts'
import { createLogger } from '../../observability/logger.ts'
import { checkDataDir, waitForPostgres } from '../startup-checks.ts'
import { servedUrl, startupLine } from '../startup-line.ts'

export const SERVE_USAGE = `Usage: basalt serve [--http=HOST:PORT] [--dir=DATA_DIR] [--hooksDir=DIR] [--publicDir=DIR] [--dev]

  --http        address to listen on (default 127.0.0.1:8090, env BASALT_HTTP)
  --dir         data directory (default ./basalt_data, env BASALT_DIR)
  --hooksDir    hook files (*.ts, *.js) to load (default ./basalt_hooks beside the data dir)
  --publicDir   static files served at / (default ./basalt_public beside the data dir)
  --origins     browser origins allowed by CORS, comma-separated (default *, env BASALT_CORS_ORIGINS)
  --dev         reload hook files when they change`

export async function serveCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { http: 'string', dir: 'string', hooksDir: 'string', publicDir: 'string', origins: 'string', dev: 'boolean' })
  if (args.positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[0])}`)
  const flags: Partial<Config> = {}
  try {
    if (args.flags.has('http')) Object.assign(flags, parseHttpAddress(String(args.flags.get('http'))))
    if (args.flags.has('dir')) flags.dataDir = String(args.flags.get('dir'))
    if (args.flags.has('hooksDir')) flags.hooksDir = String(args.flags.get('hooksDir'))
    if (args.flags.has('publicDir')) flags.publicDir = String(args.flags.get('publicDir'))
    if (args.flags.has('origins')) flags.corsOrigins = corsOrigins(String(args.flags.get('origins')), '--origins')
    if (args.flags.has('dev')) flags.dev = true
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message)
    throw err
  }
  const config = resolveConfig(fromEnv(process.env), flags)
  const logger = createLogger({ level: config.logLevel })
  // Say precisely what is wrong before anything else fails with a driver message.
  checkDataDir(config.dataDir)
  if (config.databaseUrl) await waitForPostgres(config.databaseUrl, config.pgStartTimeoutMs, (m) => logger.warn(m))
  let app: Basalt
  try {
    app = await createBasalt({ ...config, env: false, logger })
  } catch (err) {
    // A hook file that fails to load stops the start, naming file, line and message.
    if (err instanceof HookLoadError) { console.error(`basalt: ${err.message}`); return 1 }
    throw err
  }
  await app.start()
  const server = app.server!
  const address = server.server.address()
  const url = servedUrl(config.host, typeof address === 'object' && address ? address.port : config.port)
  // Mail links follow the port really served unless BASALT_APP_URL (or settings) say otherwise.
  app.settings.setServedUrl(url)
  logger.info(await startupLine(app, url))
  // A restored backup is swapped in when the app starts (docs/backups.md): restart in-process, same port.
  const onRestore = () => app.backups.onRestartRequested(() => setImmediate(() => void restartForRestore().catch((err) => {
    logger.error({ err }, 'restart after restore failed')
    process.exit(1)
  })))
  const restartForRestore = async () => {
    logger.info('backup restore staged: restarting')
    app.hub.closeAll()
    await app.stop()
    app = await createBasalt({ ...config, env: false })
    await app.start()
    onRestore()
    app.settings.setServedUrl(url)
    logger.info(`Basalt restarted with the restored data on ${url}`)
  }
  onRestore()

  return new Promise<number>((resolve) => {
    let stopping = false
    const stop = async (signal: string) => {
      if (stopping) return
      stopping = true
      logger.info(`${signal} received: draining requests and shutting down`)
      const force = setTimeout(() => {
        logger.error('shutdown timed out: closing remaining connections')
        app.server?.server.closeAllConnections()
        resolve(1)
      }, config.shutdownGraceMs)
      force.unref()
      let sweep: NodeJS.Timeout | undefined
      try {
        // Phase 1: still listening; new requests get 503 + Connection: close, running ones finish and
        // close their connection (a client never has a request on a connection being torn down).
        if (app.server) startDraining(app.server)
        await new Promise((r) => setTimeout(r, config.shutdownAcceptMs))
        // Phase 2: stop listening. Keep-alive sockets that were busy become idle later; close them as they do.
        sweep = setInterval(() => app.server?.server.closeIdleConnections(), 50)
        // Realtime streams never end on their own; close them so the HTTP server can drain.
        app.hub.closeAll()
        await app.stop()
        resolve(0)
      } catch (err) {
        logger.error({ err }, 'shutdown failed')
        resolve(1)
      } finally {
        clearTimeout(force)
        clearInterval(sweep)
      }
    }
    process.once('SIGTERM', () => void stop('SIGTERM'))
    process.once('SIGINT', () => void stop('SIGINT'))
  })
}
