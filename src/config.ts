// Configuration: defaults <- environment <- CLI flags, validated once at startup.
import path from 'node:path'
import { DEFAULT_BRUTE_FORCE, type BruteForceLimits } from './ratelimit/brute-force.ts'
import { parseProxyList } from './http/client-ip.ts'
import { parseCorsOrigins, type CorsOrigins } from './http/cors.ts'
import { parseConsumeRoutes, type NatsConsumeRoute } from './events/brokers/nats-consumer.ts'
import { DEFAULT_BREAKER, type BreakerOptions } from './events/webhooks/circuit.ts'
import { parseAmqpConsumeRoutes, parseMqttConsumeRoutes, type ConsumeRoute } from './events/brokers/consume-routes.ts'
import { DEFAULT_JOBS_CONFIG, jobsConfigFromEnv, type JobsConfig } from './jobs/config.ts'

export interface EventsConfig {
  /**
   * Write the outbox (BASALT_EVENTS_OUTBOX, default true). Off: no record change or custom event is
   * recorded, so webhooks, broker publishers and `app.events` sinks receive nothing.
   */
  outbox: boolean
  /** Subject / routing prefix of published events. */
  prefix: string
  /** NATS server publishing the outbox to JetStream; null = off. */
  natsUrl: string | null
  /** JetStream stream capturing `<prefix>.>` (created when missing). */
  natsStream: string
  /** Subjects consumed into jobs (`BASALT_EVENTS_NATS_CONSUME=subject=>job,…`). */
  natsConsume: NatsConsumeRoute[]
  /** RabbitMQ (AMQP 0-9-1) server; null = off. */
  amqpUrl: string | null
  /** Durable topic exchange the events are published to (declared when missing). */
  amqpExchange: string
  /** RabbitMQ queues consumed into jobs (`BASALT_EVENTS_AMQP_CONSUME=queue=>job,…`). */
  amqpConsume: ConsumeRoute[]
  /** MQTT server; null = off. */
  mqttUrl: string | null
  mqttClientId: string
  /** MQTT topic filters consumed into jobs (`BASALT_EVENTS_MQTT_CONSUME=filter=>job,…`), session `<mqttClientId>-consumer`. */
  mqttConsume: ConsumeRoute[]
  /** Webhook targets may be loopback/private addresses (BASALT_WEBHOOKS_ALLOW_PRIVATE). */
  webhooksAllowPrivate: boolean
  /** Circuit breaker per webhook endpoint (BASALT_WEBHOOKS_BREAKER_{THRESHOLD,COOLDOWN_MS,MAX_COOLDOWN_MS}). */
  webhooksBreaker: BreakerOptions
}

export interface Config {
  /** Host and port to listen on. */
  host: string
  port: number
  /** Data directory (SQLite database and uploaded files). */
  dataDir: string
  /** Max JSON / urlencoded body in bytes. */
  jsonBodyLimit: number
  /** Max multipart body in bytes (uploads). */
  multipartBodyLimit: number
  /** SQLite durability: NORMAL survives process crashes; FULL also power loss. */
  sqliteSynchronous: 'NORMAL' | 'FULL'
  /** Log level for the HTTP server (pino levels) or 'silent'. */
  logLevel: string
  /** Log one line per request (off by default: it costs 10–20% CPU on hot paths). */
  logRequests: boolean
  /** How long shutdown waits for in-flight requests before closing connections. */
  shutdownGraceMs: number
  /** Load shedding (src/http/load-shedding.ts): 503 + Retry-After past these; 0 = off. */
  maxInFlight: number
  maxEventLoopDelayMs: number
  /** After SIGTERM, new requests are answered 503 (Connection: close) this long before the listening socket closes. */
  shutdownAcceptMs: number
  /** HTTP timeouts and per-IP caps (src/http/limits.ts, docs/operations.md); a cap of 0 turns it off. */
  http: HttpLimits
  /** PostgreSQL connection string; unset = embedded SQLite in dataDir. */
  databaseUrl: string | null
  /** Max PostgreSQL connections per node. */
  pgPoolSize: number
  /** Redis connection string for cross-node realtime fan-out and schema invalidation; unset = in-process. */
  redisUrl: string | null
  /** Namespaces this cluster's Redis channels; clusters sharing one Redis need different prefixes. */
  redisPrefix: string
  /**
   * Proxies allowed to set the client IP headers named in settings `trustedProxy.headers` (IPs/CIDRs,
   * `BASALT_TRUSTED_PROXIES`). null = loopback only. Headers from any other peer are ignored.
   */
  trustedProxies: string[] | null
  /**
   * Brute-force guard on auth endpoints (src/ratelimit/brute-force.ts): failed attempts per identity and
   * per client IP within `windowSeconds`; 0 turns a limit off. `BASALT_AUTH_FAILURE_LIMITS=10,50,300`.
   */
  authFailureLimits: BruteForceLimits
  /** Max time one hook handler (with the rest of its chain) may take before its write rolls back; 0 = none. */
  hookTimeoutMs: number
  /** Hook files loaded at start (`*.ts`/`*.js`); null = `basalt_hooks` beside the data directory. */
  hooksDir: string | null
  /** Static files served at `/`; null = `basalt_public` beside the data directory. */
  publicDir: string | null
  /** Serve the public dir's index.html for unknown extension-less paths (single-page apps). */
  indexFallback: boolean
  /** `serve --dev`: reload hook files when they change. */
  dev: boolean
  /** Jobs, cron and retention (src/jobs/config.ts, docs/jobs.md). */
  jobs: JobsConfig
  /** Event publishing to brokers (docs/events.md "Brokers"). */
  events: EventsConfig
  /** Browser origins allowed to read API responses (`BASALT_CORS_ORIGINS`, `serve --origins`); `['*']` = any. */
  corsOrigins: CorsOrigins
  /** Bearer token that may read GET /api/metrics besides superusers (`BASALT_METRICS_TOKEN`); null = superusers only. */
  metricsToken: string | null
  /** How long `serve` keeps retrying an unreachable PostgreSQL at start (`BASALT_PG_START_TIMEOUT`, seconds). */
  pgStartTimeoutMs: number
}

export interface HttpLimits {
  /** The request line and headers must arrive within this (slowloris; silent connections). */
  headersTimeoutMs: number
  /** The body must arrive within this once the headers did (slow 1 byte/s bodies are cut with a 408). */
  bodyTimeoutMs: number
  /** A response must start within this once the request arrived, else 503 (SSE and downloads start at once). */
  requestTimeoutMs: number
  /** An idle keep-alive connection is closed after this. */
  idleTimeoutMs: number
  /** Open TCP connections per peer address (trusted proxies are not capped). */
  maxConnectionsPerIp: number
  /** Open realtime streams per client IP. */
  maxRealtimePerIp: number
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  headersTimeoutMs: 15_000,
  bodyTimeoutMs: 60_000,
  requestTimeoutMs: 120_000,
  idleTimeoutMs: 30_000,
  maxConnectionsPerIp: 256,
  maxRealtimePerIp: 100,
}

export const DEFAULTS: Config = {
  host: '127.0.0.1',
  port: 8090,
  dataDir: 'basalt_data',
  jsonBodyLimit: 2 * 1024 * 1024,
  multipartBodyLimit: 32 * 1024 * 1024,
  sqliteSynchronous: 'NORMAL',
  logLevel: 'info',
  logRequests: false,
  shutdownGraceMs: 10_000,
  maxInFlight: 2000,
  maxEventLoopDelayMs: 500,
  shutdownAcceptMs: 1000,
  http: DEFAULT_HTTP_LIMITS,
  databaseUrl: null,
  pgPoolSize: 10,
  redisUrl: null,
  redisPrefix: 'default',
  trustedProxies: null,
  authFailureLimits: DEFAULT_BRUTE_FORCE,
  hookTimeoutMs: 30_000,
  hooksDir: null,
  publicDir: null,
  indexFallback: true,
  dev: false,
  jobs: DEFAULT_JOBS_CONFIG,
  events: { outbox: true, prefix: 'basalt', natsUrl: null, natsStream: 'BASALT_EVENTS', natsConsume: [], amqpUrl: null, amqpExchange: 'basalt.events', amqpConsume: [], mqttUrl: null, mqttClientId: 'basalt-events', mqttConsume: [], webhooksAllowPrivate: false, webhooksBreaker: DEFAULT_BREAKER },
  pgStartTimeoutMs: 30_000,
  metricsToken: null,
  corsOrigins: ['*'],
}

export class ConfigError extends Error {}

function positiveInt(name: string, raw: string): number {
  if (!/^\d+$/.test(raw) || Number(raw) <= 0) throw new ConfigError(`${name} must be a positive integer, got ${JSON.stringify(raw)}`)
  return Number(raw)
}

function nonNegativeInt(name: string, raw: string): number {
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`)
  return Number(raw)
}

const HTTP_LIMIT_ENV: [keyof HttpLimits, string, 'positive' | 'cap'][] = [
  ['headersTimeoutMs', 'BASALT_HEADERS_TIMEOUT_MS', 'positive'],
  ['bodyTimeoutMs', 'BASALT_BODY_TIMEOUT_MS', 'positive'],
  ['requestTimeoutMs', 'BASALT_REQUEST_TIMEOUT_MS', 'positive'],
  ['idleTimeoutMs', 'BASALT_IDLE_TIMEOUT_MS', 'positive'],
  ['maxConnectionsPerIp', 'BASALT_MAX_CONNECTIONS_PER_IP', 'cap'],
  ['maxRealtimePerIp', 'BASALT_MAX_REALTIME_PER_IP', 'cap'],
]

function httpLimitsFromEnv(env: NodeJS.ProcessEnv): HttpLimits | null {
  let out: HttpLimits | null = null
  for (const [key, name, kind] of HTTP_LIMIT_ENV) {
    const raw = env[name]
    if (!raw) continue
    out ??= { ...DEFAULT_HTTP_LIMITS }
    out[key] = kind === 'cap' ? nonNegativeInt(name, raw) : positiveInt(name, raw)
  }
  return out
}

export function parseHttpAddress(value: string): { host: string; port: number } {
  const m = /^(.*):(\d{1,5})$/.exec(value)
  if (!m || Number(m[2]) > 65535) throw new ConfigError(`--http must be HOST:PORT, got ${JSON.stringify(value)}`)
  return { host: m[1].replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(m[2]) }
}

/** Environment overrides (BASALT_*). */
/** BASALT_EVENTS_PREFIX (dot-separated tokens), BASALT_EVENTS_{NATS_URL,NATS_STREAM,AMQP_URL,AMQP_EXCHANGE,MQTT_URL,MQTT_CLIENT_ID}. */
function consumeRoutes(env: NodeJS.ProcessEnv): NatsConsumeRoute[] {
  if (!env.BASALT_EVENTS_NATS_CONSUME) return []
  if (!env.BASALT_EVENTS_NATS_URL) throw new ConfigError('BASALT_EVENTS_NATS_CONSUME needs BASALT_EVENTS_NATS_URL')
  try { return parseConsumeRoutes(env.BASALT_EVENTS_NATS_CONSUME) } catch (err) { throw new ConfigError((err as Error).message) }
}

/** BASALT_EVENTS_{AMQP,MQTT}_CONSUME need the broker's URL; a malformed list is a config error naming the part. */
function brokerRoutes(env: NodeJS.ProcessEnv, broker: 'AMQP' | 'MQTT', parse: (raw: string) => ConsumeRoute[]): ConsumeRoute[] {
  const raw = env[`BASALT_EVENTS_${broker}_CONSUME`]
  if (!raw) return []
  if (!env[`BASALT_EVENTS_${broker}_URL`]) throw new ConfigError(`BASALT_EVENTS_${broker}_CONSUME needs BASALT_EVENTS_${broker}_URL`)
  try { return parse(raw) } catch (err) { throw new ConfigError((err as Error).message) }
}

function eventsConfig(env: NodeJS.ProcessEnv): EventsConfig {
  const prefix = env.BASALT_EVENTS_PREFIX ?? 'basalt'
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(prefix)) throw new ConfigError(`BASALT_EVENTS_PREFIX must be dot-separated tokens of letters, digits, _ and -, got ${JSON.stringify(prefix)}`)
  const natsStream = env.BASALT_EVENTS_NATS_STREAM ?? 'BASALT_EVENTS'
  if (!/^[A-Za-z0-9_-]+$/.test(natsStream)) throw new ConfigError(`BASALT_EVENTS_NATS_STREAM must be letters, digits, _ and -, got ${JSON.stringify(natsStream)}`)
  return {
    outbox: !['false', '0', 'off'].includes((env.BASALT_EVENTS_OUTBOX ?? '').toLowerCase()),
    prefix, natsUrl: env.BASALT_EVENTS_NATS_URL || null, natsStream, natsConsume: consumeRoutes(env),
    amqpUrl: env.BASALT_EVENTS_AMQP_URL || null, amqpExchange: env.BASALT_EVENTS_AMQP_EXCHANGE || 'basalt.events',
    amqpConsume: brokerRoutes(env, 'AMQP', parseAmqpConsumeRoutes),
    mqttUrl: env.BASALT_EVENTS_MQTT_URL || null, mqttClientId: env.BASALT_EVENTS_MQTT_CLIENT_ID || 'basalt-events',
    mqttConsume: brokerRoutes(env, 'MQTT', parseMqttConsumeRoutes),
    webhooksAllowPrivate: ['true', '1', 'on'].includes((env.BASALT_WEBHOOKS_ALLOW_PRIVATE ?? '').toLowerCase()),
    webhooksBreaker: {
      threshold: env.BASALT_WEBHOOKS_BREAKER_THRESHOLD ? positiveInt('BASALT_WEBHOOKS_BREAKER_THRESHOLD', env.BASALT_WEBHOOKS_BREAKER_THRESHOLD) : DEFAULT_BREAKER.threshold,
      cooldownMs: env.BASALT_WEBHOOKS_BREAKER_COOLDOWN_MS ? positiveInt('BASALT_WEBHOOKS_BREAKER_COOLDOWN_MS', env.BASALT_WEBHOOKS_BREAKER_COOLDOWN_MS) : DEFAULT_BREAKER.cooldownMs,
      maxCooldownMs: env.BASALT_WEBHOOKS_BREAKER_MAX_COOLDOWN_MS ? positiveInt('BASALT_WEBHOOKS_BREAKER_MAX_COOLDOWN_MS', env.BASALT_WEBHOOKS_BREAKER_MAX_COOLDOWN_MS) : DEFAULT_BREAKER.maxCooldownMs,
    },
  }
}

export function fromEnv(env: NodeJS.ProcessEnv): Partial<Config> {
  const out: Partial<Config> = {}
  if (env.BASALT_HTTP) Object.assign(out, parseHttpAddress(env.BASALT_HTTP))
  if (env.BASALT_DIR) out.dataDir = env.BASALT_DIR
  if (env.BASALT_JSON_BODY_LIMIT) out.jsonBodyLimit = positiveInt('BASALT_JSON_BODY_LIMIT', env.BASALT_JSON_BODY_LIMIT)
  if (env.BASALT_MULTIPART_BODY_LIMIT) out.multipartBodyLimit = positiveInt('BASALT_MULTIPART_BODY_LIMIT', env.BASALT_MULTIPART_BODY_LIMIT)
  if (env.BASALT_SQLITE_SYNCHRONOUS) {
    const v = env.BASALT_SQLITE_SYNCHRONOUS.toUpperCase()
    if (v !== 'NORMAL' && v !== 'FULL') throw new ConfigError('BASALT_SQLITE_SYNCHRONOUS must be NORMAL or FULL')
    out.sqliteSynchronous = v
  }
  const http = httpLimitsFromEnv(env)
  if (http) out.http = http
  if (env.BASALT_LOG_LEVEL) out.logLevel = env.BASALT_LOG_LEVEL
  if (env.BASALT_LOG_REQUESTS) out.logRequests = env.BASALT_LOG_REQUESTS === 'true' || env.BASALT_LOG_REQUESTS === '1'
  if (env.DATABASE_URL) {
    if (!/^postgres(ql)?:\/\//.test(env.DATABASE_URL)) throw new ConfigError('DATABASE_URL must be a postgres:// URL')
    out.databaseUrl = env.DATABASE_URL
  }
  if (env.BASALT_REDIS_PREFIX) {
    if (!/^[\w.-]{1,64}$/.test(env.BASALT_REDIS_PREFIX)) throw new ConfigError('BASALT_REDIS_PREFIX must be 1-64 letters, digits, _ . -')
    out.redisPrefix = env.BASALT_REDIS_PREFIX
  }
  if (env.BASALT_PG_POOL_SIZE) out.pgPoolSize = positiveInt('BASALT_PG_POOL_SIZE', env.BASALT_PG_POOL_SIZE)
  if (env.REDIS_URL) {
    if (!/^rediss?:\/\//.test(env.REDIS_URL)) throw new ConfigError('REDIS_URL must be a redis:// URL')
    out.redisUrl = env.REDIS_URL
  }
  if (env.BASALT_TRUSTED_PROXIES !== undefined) out.trustedProxies = trustedProxies(env.BASALT_TRUSTED_PROXIES)
  if (env.BASALT_HOOKS_DIR) out.hooksDir = env.BASALT_HOOKS_DIR
  if (env.BASALT_PUBLIC_DIR) out.publicDir = env.BASALT_PUBLIC_DIR
  if (env.BASALT_INDEX_FALLBACK) out.indexFallback = env.BASALT_INDEX_FALLBACK !== 'false' && env.BASALT_INDEX_FALLBACK !== '0'
  if (env.BASALT_HOOK_TIMEOUT_MS) out.hookTimeoutMs = positiveInt('BASALT_HOOK_TIMEOUT_MS', env.BASALT_HOOK_TIMEOUT_MS)
  try { const jobs = jobsConfigFromEnv(env); if (jobs) out.jobs = jobs } catch (err) { throw new ConfigError((err as Error).message) }
  if (Object.keys(env).some((k) => (k.startsWith('BASALT_EVENTS_') && k !== 'BASALT_EVENTS_RETENTION_DAYS') || k.startsWith('BASALT_WEBHOOKS_'))) out.events = eventsConfig(env)
  if (env.BASALT_SHUTDOWN_ACCEPT_MS) out.shutdownAcceptMs = nonNegativeInt('BASALT_SHUTDOWN_ACCEPT_MS', env.BASALT_SHUTDOWN_ACCEPT_MS)
  if (env.BASALT_SHUTDOWN_GRACE_MS) out.shutdownGraceMs = positiveInt('BASALT_SHUTDOWN_GRACE_MS', env.BASALT_SHUTDOWN_GRACE_MS)
  if (env.BASALT_MAX_IN_FLIGHT) out.maxInFlight = nonNegativeInt('BASALT_MAX_IN_FLIGHT', env.BASALT_MAX_IN_FLIGHT)
  if (env.BASALT_MAX_EVENT_LOOP_DELAY_MS) out.maxEventLoopDelayMs = nonNegativeInt('BASALT_MAX_EVENT_LOOP_DELAY_MS', env.BASALT_MAX_EVENT_LOOP_DELAY_MS)
  if (env.BASALT_AUTH_FAILURE_LIMITS) out.authFailureLimits = authFailureLimits(env.BASALT_AUTH_FAILURE_LIMITS)
  if (env.BASALT_CORS_ORIGINS !== undefined) out.corsOrigins = corsOrigins(env.BASALT_CORS_ORIGINS, 'BASALT_CORS_ORIGINS')
  if (env.BASALT_METRICS_TOKEN) out.metricsToken = metricsToken(env.BASALT_METRICS_TOKEN)
  if (env.BASALT_PG_START_TIMEOUT) out.pgStartTimeoutMs = positiveInt('BASALT_PG_START_TIMEOUT', env.BASALT_PG_START_TIMEOUT) * 1000
  return out
}

/** A scrape credential that is guessable would expose the server's internals: 16+ visible characters. */
function metricsToken(raw: string): string {
  if (!/^[\x21-\x7e]{16,512}$/.test(raw)) throw new ConfigError('BASALT_METRICS_TOKEN must be 16-512 printable characters without spaces')
  return raw
}

export function corsOrigins(raw: string, source: string): CorsOrigins {
  try { return parseCorsOrigins(raw) } catch (err) { throw new ConfigError(`${source}: ${(err as Error).message}`) }
}

function trustedProxies(raw: string): string[] {
  const list = raw.split(',').map((s) => s.trim()).filter(Boolean)
  try { parseProxyList(list) } catch (err) { throw new ConfigError(`BASALT_TRUSTED_PROXIES: ${(err as Error).message}`) }
  return list
}

/** `PER_IDENTITY,PER_IP,WINDOW_SECONDS` (e.g. `10,50,300`), or `off`. */
function authFailureLimits(raw: string): BruteForceLimits {
  if (raw.trim() === 'off') return { perIdentity: 0, perIp: 0, windowSeconds: 0 }
  const parts = raw.split(',').map((s) => s.trim())
  if (parts.length !== 3 || !parts.every((p) => /^\d+$/.test(p))) throw new ConfigError(`BASALT_AUTH_FAILURE_LIMITS must be PER_IDENTITY,PER_IP,WINDOW_SECONDS or off, got ${JSON.stringify(raw)}`)
  const [perIdentity, perIp, windowSeconds] = parts.map(Number)
  return { perIdentity, perIp, windowSeconds }
}

export function resolveConfig(...layers: Partial<Config>[]): Config {
  const cfg = Object.assign({}, DEFAULTS, ...layers) as Config
  cfg.dataDir = path.resolve(cfg.dataDir)
  return cfg
}
