// createBasalt: framework mode — build the app in your own program, register hooks and routes, then start it.
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { createApp, type App } from '../app.ts'
import { fromEnv, resolveConfig, type Config } from '../config.ts'
import { buildServer } from '../http/server.ts'
import type { Logger } from '../observability/logger.ts'
import { loadHookFiles, watchHookFiles, type LoadedHooks } from './hooks-loader.ts'

const LISTEN_BACKLOG = 4096

export interface BasaltOptions extends Partial<Config> {
  /** Also read BASALT_* / DATABASE_URL / REDIS_URL from the environment (default true); options win. */
  env?: boolean
  /** Load the hooks directory (`hooksDir`, default ./basalt_hooks beside the data dir). Default true. */
  loadHooksDir?: boolean
  /** The one logger every module writes through (default: pino at `logLevel`, see src/observability/logger.ts). */
  logger?: Logger
}

export interface Basalt extends App {
  /** The HTTP server once started. */
  server: FastifyInstance | null
  /** Fires onBootstrap, builds the HTTP server, fires onServe, listens; resolves with the URL. */
  start(): Promise<{ url: string }>
  /** Fires onTerminate, stops the HTTP server (draining requests) and closes the app. */
  stop(): Promise<void>
}

/** Where hook files live: `--hooksDir`, else `basalt_hooks` beside the data directory. */
export function hooksDirOf(config: Config): string {
  return config.hooksDir ?? path.join(path.dirname(config.dataDir), 'basalt_hooks')
}

export async function createBasalt(options: BasaltOptions = {}): Promise<Basalt> {
  const { env = true, loadHooksDir = true, logger, ...overrides } = options
  const config = resolveConfig(env ? fromEnv(process.env) : {}, overrides)
  const app = await createApp(config, { logger })
  let loaded: LoadedHooks | null = null
  try {
    if (loadHooksDir) loaded = await loadHookFiles(app, hooksDirOf(config))
  } catch (err) {
    await app.close()
    throw err
  }
  let stopWatching = () => {}
  const basalt = app as Basalt
  basalt.server = null
  basalt.start = async () => {
    await app.hooks.onBootstrap.trigger({})
    const server = await buildServer(app)
    basalt.server = server
    await app.hooks.onServe.trigger({ server })
    // A deep accept queue (capped by the kernel's somaxconn): when it overflows the kernel drops SYNs and
    // clients retry seconds later, a wait load shedding cannot see; a queued connection it can (load-shedding.ts).
    await server.listen({ host: config.host, port: config.port, backlog: LISTEN_BACKLOG })
    if (config.dev && loaded) {
      stopWatching = watchHookFiles(app, hooksDirOf(config), loaded, (msg, err) => {
        if (err) server.log.error(msg)
        else server.log.info(msg)
      })
    }
    const address = server.server.address()
    const port = typeof address === 'object' && address ? address.port : config.port
    return { url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}` }
  }
  basalt.stop = async () => {
    stopWatching()
    await app.hooks.onTerminate.trigger({})
    // Realtime streams never end on their own; close them so the HTTP server can drain.
    app.hub.closeAll()
    await basalt.server?.close()
    await app.close()
  }
  return basalt
}
