// createApp(config): picks adapters once, wires the services, returns the App that HTTP, CLI and tests share.
import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { Config } from './config.ts'
import { systemClock, type Clock } from './core/clock.ts'
import { CollectionService } from './core/collections/collection-service.ts'
import { RecordService } from './core/records/record-service.ts'
import { RecordWrites } from './core/records/record-writes.ts'
import { createHooks, hookMethods, type HookMethods, type HookRegistry } from './core/hooks/registry.ts'
import { appApi, type AppApi } from './framework/app-api.ts'
import { RouteTable } from './framework/router.ts'
import { Outbox } from './events/outbox.ts'
import { EventDispatcher } from './events/dispatcher.ts'
import { NatsPublisher } from './events/brokers/nats.ts'
import { AmqpPublisher } from './events/brokers/amqp.ts'
import { MqttPublisher } from './events/brokers/mqtt.ts'
import { NatsConsumer } from './events/brokers/nats-consumer.ts'
import { AmqpConsumer } from './events/brokers/amqp-consumer.ts'
import { MqttConsumer } from './events/brokers/mqtt-consumer.ts'
import { bindWebhookValidation, Webhooks } from './events/webhooks/webhooks.ts'
import { recordAuthorizer } from './core/records/realtime-authorizer.ts'
import { rulesReadHeaders } from './realtime/reads-headers.ts'
import { AuthAlerts } from './auth/auth-alerts.ts'
import { AuthService } from './auth/auth-service.ts'
import { RoleService } from './auth/roles.ts'
import { SessionService } from './auth/sessions.ts'
import { OtpService } from './auth/otp.ts'
import { TotpService } from './auth/totp-service.ts'
import { EmailFlows } from './auth/email-flows.ts'
import { OAuth2Flow } from './auth/oauth2/flow.ts'
import { ExternalAuths } from './auth/oauth2/external-auths.ts'
import { LocalFileStorage } from './files/local-storage.ts'
import { ConfiguredFileStorage } from './files/configured-storage.ts'
import type { FileStorage } from './files/storage.ts'
import { SettingsService } from './settings/settings-service.ts'
import { LogMailer, SettingsMailer } from './mail/mailer.ts'
import { createLogger, type Logger } from './observability/logger.ts'
import { AppMetrics, type DbUse } from './observability/metrics.ts'
import { WriteHealth } from './observability/write-health.ts'
import { RealtimeHub, type Broker } from './realtime/index.ts'
import { openBroker, openSchemaChannel, SchemaSync, type ClusterOptions } from './cluster/index.ts'
import { authLoader, RealtimeForwarder } from './cluster/realtime-forward.ts'
import type { Collection } from './core/collections/types.ts'
import { SqliteStore } from './store/sqlite-store.ts'
import { PostgresStore } from './store/postgres-store.ts'
import { migrateSystemTables } from './store/migrations.ts'
import type { Store } from './store/types.ts'
import { RateLimiter } from './ratelimit/limiter.ts'
import { openRateLimitStore } from './ratelimit/open.ts'
import { openLogs, type LogService } from './logs/log-service.ts'
import { scheduleLogCleanup } from './logs/cleanup-schedule.ts'
import { BackupService } from './backups/backup-service.ts'
import { openBackups } from './backups/open.ts'
import { createBackground, type CronHandler, type CronOptions, type CronScheduler, type JobQueue, type WorkflowEngine } from './jobs/index.ts'

/** The services, built once here (HTTP routes, hooks, jobs and the CLI all use these). */
export interface AppCore {
  config: Config
  /** The one logger (pino): every module logs through it; level from `config.logLevel`. */
  logger: Logger
  clock: Clock
  store: Store
  collections: CollectionService
  records: RecordService
  /** The one record write path (model hooks, validation, outbox); no rules: callers decide access. */
  writes: RecordWrites
  /** Every hook Basalt fires (docs/hooks.md). */
  hooks: HookRegistry
  /** Transactional outbox of record changes and custom events (docs/events.md). */
  outbox: Outbox
  /** Delivers the outbox to sinks at least once, in order (`events.register`), and `events.emit` for custom events (docs/events.md). */
  events: EventDispatcher
  /** The webhooks sink (delivery jobs, replay). */
  webhooks: Webhooks
  auth: AuthService
  /** Cookie sessions (Basalt extension, docs/sessions.md). */
  sessions: SessionService
  otp: OtpService
  totp: TotpService
  emailFlows: EmailFlows
  oauth2: OAuth2Flow
  /** Provider links of auth records (`_externalAuths`) and the address each link proved. */
  externalAuths: ExternalAuths
  files: FileStorage
  roles: RoleService
  settings: SettingsService
  mailer: SettingsMailer
  broker: Broker
  hub: RealtimeHub
  /** Relays realtime requests for clients held by other nodes (Redis only; null = single node). */
  realtimeForward: RealtimeForwarder | null
  /** Rate limits and the auth brute-force guard (src/ratelimit; Redis-backed when REDIS_URL is set). */
  limiter: RateLimiter
  /** Prometheus metrics of this app (GET /api/metrics, docs/operations.md "Metrics"). */
  metrics: AppMetrics
  /** New-login alerts and the `_authOrigins` they keep (docs/auth.md "New-login alerts"). */
  authAlerts: AuthAlerts
  /** Can this node write right now (storage errors seen, free disk)? Read by /api/health (docs/operations.md). */
  writeHealth: WriteHealth
  /** Request logs (docs/logs.md): auxiliary.db on SQLite, a `_logs` table on PostgreSQL. */
  logs: LogService
  /** Backups and restores (docs/backups.md); SQLite only. */
  backups: BackupService
  /** Random per process: tags this node's messages on the cluster channels. */
  nodeId: string
  /** Custom routes added by hook files and framework-mode programs (`app.routerAdd`). */
  router: RouteTable
  /** Durable jobs: define, enqueue (joins the caller's transaction), inspect (docs/jobs.md). */
  jobs: JobQueue
  /** Cron jobs that fire once per tick across the cluster (docs/jobs.md). */
  cron: CronScheduler
  /** PocketBase's `cronAdd(id, expression, handler)`; `opts.timezone` reads the expression in that zone. */
  cronAdd(id: string, expression: string, handler: CronHandler, opts?: CronOptions): void
  cronRemove(id: string): void
  /** Durable multi-step workflows (sagas) on top of jobs (docs/jobs.md). */
  workflows: WorkflowEngine
  truncate(collection: string): Promise<void>
  close(): Promise<void>
}

/** What hook files, custom routes and framework-mode programs receive (docs/hooks.md). */
export type App = AppCore & AppApi & HookMethods

/** The application name as a CloudEvents source authority: `My Shop` → `my-shop`. */
function appSlug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'basalt'
}

/** The store named by the config: PostgreSQL when DATABASE_URL is set, else SQLite in the data dir. */
export function openStore(config: Config): Store {
  if (config.databaseUrl) return new PostgresStore({ connectionString: config.databaseUrl, poolSize: config.pgPoolSize })
  return new SqliteStore({ file: path.join(config.dataDir, 'data.db'), synchronous: config.sqliteSynchronous })
}

/** Connection use of the store, for metrics: the PostgreSQL pool, or SQLite's writer queue. */
function dbUse(store: Store): DbUse {
  if (store instanceof PostgresStore) return { store: 'postgres', total: store.pool.totalCount, idle: store.pool.idleCount, waiting: store.pool.waitingCount }
  if (store instanceof SqliteStore) return { store: 'sqlite', writerQueue: store.writerQueue }
  return { store: 'other' }
}

/** Creates or upgrades the bookkeeping schema and system collections, once, under the migration lock. */
export async function migrate(store: Store, collections: CollectionService): Promise<void> {
  await store.transaction(async (tx) => {
    await migrateSystemTables(tx, store.dialect)
    await collections.bootstrap(tx)
  })
  await collections.reload()
}

export async function createApp(config: Config, opts: { clock?: Clock; cluster?: ClusterOptions; logger?: Logger } = {}): Promise<App> {
  const clock = opts.clock ?? systemClock
  const logger = opts.logger ?? createLogger({ level: config.logLevel })
  fs.mkdirSync(config.dataDir, { recursive: true })
  const backupsReady = await openBackups.prepare(config, logger)
  const store = openStore(config)
  const collections = new CollectionService(store, clock)
  await migrate(store, collections)
  const settings = new SettingsService(store, clock)
  // settings.s3 switches uploads to S3 at runtime (src/files/configured-storage.ts).
  const files = new ConfiguredFileStorage(new LocalFileStorage(path.join(config.dataDir, 'storage')), async () => (await settings.get()).s3)
  const hooks = createHooks(() => config.hookTimeoutMs)
  const mailer = new SettingsMailer(() => settings.get(), new LogMailer(() => 'basalt', (line) => logger.info(line)), (message, deliver) => hooks.onMailerSend.trigger({ message }, (e) => deliver(e.message)))
  const logs = await openLogs(config, store, settings, clock)
  const stopLogCleanup = scheduleLogCleanup(logs)
  const { backups, close: closeBackups } = backupsReady({ store, settings, clock })
  const nodeId = opts.cluster?.nodeId ?? randomUUID()
  // Redis (REDIS_URL) fans events out to every node; otherwise events stay in this process.
  const broker = openBroker(config, nodeId, opts.cluster, logger)
  const roles = new RoleService(store)
  await roles.start()
  const outbox = new Outbox(store, clock, config.events.outbox)
  const writes = new RecordWrites({
    store, collections, clock, files, hooks, outbox,
    onCommitted: (e) => { broker.publish(e).catch(() => {}) },
  })
  const records = new RecordService({ store, collections, clock, roles, hooks, writes })
  const authAlerts = new AuthAlerts({ store, collections, writes, mailer, settings: () => settings.get(), logger })
  const auth = new AuthService({ store, collections, records, clock, hooks, alerts: authAlerts })
  const limiter = new RateLimiter(openRateLimitStore(config, clock, logger), config.authFailureLimits)
  const sessions = new SessionService({ store, collections, clock })
  const externalAuths = new ExternalAuths(collections, store, writes)
  const settingsGet = { get: () => settings.get() }
  const otp = new OtpService({ store, clock, auth, mailer, settings: settingsGet, writes, externalAuths, logger })
  const totp = new TotpService({ store, clock, auth, settings: settingsGet })
  const emailFlows = new EmailFlows({ store, collections, clock, settings: () => settings.get(), mailer, writes, externalAuths, log: (message, err) => logger.error({ err }, `email-flows: ${message}`) })
  const oauth2 = new OAuth2Flow({ store, collections, records, writes, auth, clock, externalAuths })
  const hub = new RealtimeHub({
    authorize: recordAuthorizer(records, collections),
    readsHeaders: rulesReadHeaders(collections),
    onError: (err, ctx) => logger.error({ err, ...ctx }, 'realtime: delivery failed'),
    hasBeforeSend: () => hooks.onRealtimeMessageSend.length > 0,
    beforeSend: async (client, name, data) => {
      const e = { clientId: client.id, auth: client.auth, message: { name, data }, sent: false }
      await hooks.onRealtimeMessageSend.trigger(e, async () => { e.sent = true })
      return e.sent ? e.message.data : null
    },
  })
  const unsubscribe = broker.subscribe((e) => {
    roles.onChange(e.collectionId)
    void hub.dispatch(e)
  })
  // Pub/sub is at-most-once: when events may have been lost, close the streams so SDK clients
  // reconnect and resubscribe instead of silently missing changes.
  const offGap = broker.capabilities.gaps ? broker.capabilities.gaps.onGap((gap) => {
    if (hub.size > 0) logger.warn(`realtime: events may have been lost (${gap.reason}); closing ${hub.size} realtime streams`)
    hub.closeAll()
  }) : () => {}
  // A rotated auth-token secret revokes every token of that collection, realtime bindings included.
  const revokeOnSecretChange = (before?: Collection, after?: Collection) => {
    if (before?.auth && (!after?.auth || after.auth.authToken.secret !== before.auth.authToken.secret)) hub.invalidateAuth(before.id)
  }
  // Settings and collection change hooks (docs/hooks.md); they run on the node that made the change.
  settings.onChange((value) => { void hooks.onSettingsReload.trigger({ settings: value as unknown as Record<string, unknown> }).catch(() => {}) })
  collections.onChange((before, after) => {
    const hook = !before ? hooks.onCollectionAfterCreateSuccess : !after ? hooks.onCollectionAfterDeleteSuccess : hooks.onCollectionAfterUpdateSuccess
    if (hook.length) void hook.trigger({ collection: (after ?? before)!, oldCollection: after && before ? before : undefined }).catch(() => {})
    revokeOnSecretChange(before, after)
    // A deleted collection's uploads go with it (the node that deleted it does this, once).
    if (before && !after) files.deletePrefix(`${before.id}/`).catch(() => {})
  })
  // Realtime requests (subscriptions, @oauth2) for a client whose stream is on another node go to
  // that node over Redis. Created before schemaSync.start() waits for the broker, so its channels are live then.
  const side = broker.capabilities.sideChannel
  const realtimeForward = side ? new RealtimeForwarder({
    channel: side, hub, loadAuth: authLoader(store, collections),
    onError: (err) => logger.error({ err }, 'realtime: forwarding failed'),
  }) : null
  // Other nodes' schema changes: reload on their signal, on channel gaps and periodically.
  const schemaChannel = openSchemaChannel(config, broker, nodeId, logger)
  const schemaSync = schemaChannel ? new SchemaSync({
    collections, channel: schemaChannel, intervalMs: opts.cluster?.schemaReloadMs, onReloadChange: revokeOnSecretChange,
    onError: (err) => logger.error({ err }, 'cluster: schema sync failed'),
  }) : null
  // Bounded: a node whose Redis/PG listener is down still starts (local-only until it connects).
  await schemaSync?.start(opts.cluster?.readyTimeoutMs)
  const background = await createBackground({ store, clock, nodeId, databaseUrl: config.databaseUrl, config: config.jobs, collections, outbox, logger })

  const metrics = new AppMetrics({
    realtimeClients: () => hub.size,
    realtimeDelivered: () => hub.stats.delivered,
    realtimeDropped: () => hub.stats.dropped,
    db: () => dbUse(store),
  })

  const writeHealth = new WriteHealth({ dataDir: config.dataDir })

  const eventSource = async () => `basalt://${appSlug((await settings.get()).meta.appName)}`
  const events = new EventDispatcher({
    store, outbox, clock, nodeId, pollMs: config.jobs.pollMs,
    source: eventSource,
    onError: (err, sink) => logger.error({ err, sink }, 'events: delivery failed; retrying'),
  })
  const ev = config.events
  bindWebhookValidation(hooks, collections, store)
  const webhooks = new Webhooks({ store, jobs: background.jobs, clock, schema: collections, allowPrivate: ev.webhooksAllowPrivate, breaker: ev.webhooksBreaker, outbox, source: eventSource })
  await events.register(webhooks)
  if (ev.natsUrl) await events.register(new NatsPublisher({ url: ev.natsUrl, prefix: ev.prefix, stream: ev.natsStream }))
  if (ev.amqpUrl) await events.register(new AmqpPublisher({ url: ev.amqpUrl, prefix: ev.prefix, exchange: ev.amqpExchange }))
  if (ev.mqttUrl) await events.register(new MqttPublisher({ url: ev.mqttUrl, prefix: ev.prefix, clientId: ev.mqttClientId }))
  const natsConsumer = ev.natsUrl && ev.natsConsume.length ? new NatsConsumer({
    url: ev.natsUrl, routes: ev.natsConsume, jobs: background.jobs,
    onError: (err, route) => logger.error({ err, subject: route.subject, job: route.job }, 'events: consuming from NATS failed; retrying'),
  }) : null
  natsConsumer?.start()
  const amqpConsumer = ev.amqpUrl && ev.amqpConsume.length ? new AmqpConsumer({
    url: ev.amqpUrl, routes: ev.amqpConsume, jobs: background.jobs,
    onError: (err) => logger.error({ err }, 'events: consuming from RabbitMQ failed; retrying'),
  }) : null
  amqpConsumer?.start()
  const mqttConsumer = ev.mqttUrl && ev.mqttConsume.length ? new MqttConsumer({
    url: ev.mqttUrl, routes: ev.mqttConsume, jobs: background.jobs, clientId: `${ev.mqttClientId}-consumer`,
    onError: (err) => logger.error({ err }, 'events: consuming from MQTT failed; retrying'),
  }) : null
  mqttConsumer?.start()

  const router = new RouteTable()
  const core: AppCore = {
    router, config, logger, clock, store, collections, records, writes, hooks, outbox, events, webhooks, auth, sessions, otp, totp, emailFlows, oauth2, externalAuths, roles, files, settings, mailer, broker, hub, realtimeForward, limiter, nodeId, logs, backups, metrics, writeHealth, authAlerts,
    jobs: background.jobs, cron: background.cron, workflows: background.workflows,
    cronAdd: (id, expression, handler, o) => background.cron.add(id, expression, handler, o),
    cronRemove: (id) => background.cron.remove(id),
    truncate: (name) => records.truncate(collections.get(name)),
    async close() {
      // Half the grace period: `serve` force-closes after the full one, and unfinished jobs must be released before that.
      await Promise.all([natsConsumer?.close(), amqpConsumer?.close(), mqttConsumer?.close()])
      await Promise.all([background.close(config.shutdownGraceMs / 2), events.close()])
      await emailFlows.idle()
      offGap()
      realtimeForward?.close()
      await schemaSync?.close()
      unsubscribe()
      hub.closeAll()
      roles.stop()
      await broker.close()
      await limiter.close()
      files.close()
      stopLogCleanup()
      closeBackups()
      await logs.close()
      await store.close()
    },
  }
  return Object.assign(core, appApi(core), hookMethods(hooks))
}
