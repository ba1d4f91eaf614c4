// Scale-out adapters picked from the config: the realtime broker and the schema-change channel.
import { processLogger, type Logger } from '../observability/logger.ts'
import type { Config } from '../config.ts'
import { MemoryBroker, type Broker } from '../realtime/index.ts'
import { RedisBroker } from '../realtime/brokers/redis.ts'
import { PgSchemaChannel } from './pg-schema-channel.ts'
import { redisSchemaChannel, type SchemaChannel } from './schema-sync.ts'

export { SchemaSync, redisSchemaChannel, DEFAULT_SCHEMA_RELOAD_MS } from './schema-sync.ts'
export type { SchemaChannel, SchemaSyncOptions } from './schema-sync.ts'
export { PgSchemaChannel } from './pg-schema-channel.ts'
export { SequenceTracker } from './sequence-tracker.ts'
export type { GapInfo, GapReason } from './sequence-tracker.ts'

export interface ClusterOptions {
  /**
   * Namespaces the Redis channels (`basalt:<prefix>:…`). Every node of one cluster must use the same
   * prefix and clusters sharing a Redis must not: events carry full records (hidden fields too).
   * Defaults to `config.redisPrefix` (BASALT_REDIS_PREFIX, default 'default').
   */
  prefix?: string
  /** Random per process by default; must never be reused by another live or later process. */
  nodeId?: string
  /** Broker heartbeat (default 2000 ms): bounds detection of a lost trailing event or a deaf subscriber. */
  heartbeatMs?: number
  /** Periodic schema reload, the net under lost notifications (default 30 s; 0 = off). */
  schemaReloadMs?: number
  /** How long startup waits for Redis / the PG listener before serving without them (default 3 s). */
  readyTimeoutMs?: number
}

/** The Redis prefix in effect: the explicit option, else the config's. */
export function clusterPrefix(config: Config, opts: ClusterOptions = {}): string {
  return opts.prefix ?? config.redisPrefix
}

/** RedisBroker when REDIS_URL is set (cross-node fan-out), else the in-process MemoryBroker. */
export function openBroker(config: Config, nodeId: string, opts: ClusterOptions = {}, logger: Logger = processLogger()): Broker {
  const onError = (err: unknown) => logger.error({ err }, 'realtime: broker subscriber failed')
  if (!config.redisUrl) return new MemoryBroker({ onError })
  return new RedisBroker({
    url: config.redisUrl,
    prefix: clusterPrefix(config, opts),
    nodeId,
    heartbeatMs: opts.heartbeatMs,
    onError,
    onRedisError: (err) => logger.warn(`realtime: redis unavailable: ${(err as Error)?.message ?? err}`),
  })
}

/** The broker's side channel when it has one (Redis), else PG LISTEN/NOTIFY on PostgreSQL, else none (one node). */
export function openSchemaChannel(config: Config, broker: Broker, nodeId: string, logger: Logger = processLogger()): SchemaChannel | null {
  const { sideChannel, gaps } = broker.capabilities
  if (sideChannel && gaps) return redisSchemaChannel(sideChannel, gaps)
  if (config.databaseUrl) {
    return new PgSchemaChannel({
      connectionString: config.databaseUrl,
      nodeId,
      onError: (err) => logger.warn(`cluster: schema listener: ${(err as Error)?.message ?? err}`),
    })
  }
  return null
}
