// `basalt serve`: start the server; on SIGTERM/SIGINT stop accepting, drain, close streams and the database.
import { createApp } from '../../app.ts'
import { ConfigError, fromEnv, parseHttpAddress, resolveConfig, type Config } from '../../config.ts'
import { buildServer } from '../../http/server.ts'
import { parseArgs, UsageError } from '../args.ts'

export const SERVE_USAGE = `Usage: basalt serve [--http=HOST:PORT] [--dir=DATA_DIR]

  --http   address to listen on (default 127.0.0.1:8090, env BASALT_HTTP)
  --dir    data directory (default ./basalt_data, env BASALT_DIR)`

export async function serveCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { http: 'string', dir: 'string' })
  if (args.positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[0])}`)
  const flags: Partial<Config> = {}
  try {
    if (args.flags.has('http')) Object.assign(flags, parseHttpAddress(String(args.flags.get('http'))))
    if (args.flags.has('dir')) flags.dataDir = String(args.flags.get('dir'))
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message)
    throw err
  }
  const config = resolveConfig(fromEnv(process.env), flags)
  const app = await createApp(config)
  const server = await buildServer(app)
  await server.listen({ host: config.host, port: config.port })
  console.log(`Basalt listening on http://${config.host}:${config.port} (data: ${config.dataDir})`)

  return new Promise<number>((resolve) => {
    let stopping = false
    const stop = async (signal: string) => {
      if (stopping) return
      stopping = true
      console.log(`${signal} received: draining requests and shutting down`)
      const force = setTimeout(() => {
        console.error('shutdown timed out: closing remaining connections')
        server.server.closeAllConnections()
        resolve(1)
      }, config.shutdownGraceMs)
      force.unref()
      // Keep-alive sockets that were busy when closing began become idle later; close them as they do.
      const sweep = setInterval(() => server.server.closeIdleConnections(), 50)
      try {
        // Realtime streams never end on their own; close them so the HTTP server can drain.
        app.hub.closeAll()
        await server.close()
        clearInterval(sweep)
        await app.close()
        resolve(0)
      } catch (err) {
        console.error('shutdown failed', err)
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
