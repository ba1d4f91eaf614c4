// `SOURCE=>JOB` lists of the broker consumers (BASALT_EVENTS_{NATS,AMQP,MQTT}_CONSUME).

export interface ConsumeRoute {
  /** A NATS subject, a RabbitMQ queue or an MQTT topic filter. */
  source: string
  /** The job each message is enqueued as (define its handler with `app.jobs.define`). */
  job: string
}

/** What a source may be made of, per broker (wildcards included, list separators excluded). */
export const SOURCE_PATTERNS = {
  nats: /^[A-Za-z0-9_\-*>.]+$/,
  amqp: /^[A-Za-z0-9_.:-]{1,255}$/,
  /** Levels separated by `/`; `+` a whole level, `#` the last one; `$share/<group>/<filter>` allowed. */
  mqtt: /^(?:\$share\/[^/+#,\s]+\/)?(?:(?:[^/+#,\s$][^/+#,\s]*|[^/+#,\s$]?|\+)\/)*(?:[^/+#,\s$][^/+#,\s]*|\+|#)$/,
} as const

/** `a=>jobA, b=>jobB` → routes; throws a message naming the variable and the bad part. */
export function parseRoutes(raw: string, variable: string, source: RegExp, what: string): ConsumeRoute[] {
  return raw.split(',').map((s) => s.trim()).filter(Boolean).map((part) => {
    const m = /^(.+?)\s*=>\s*([A-Za-z0-9_.:-]+)$/.exec(part)
    if (!m || !source.test(m[1])) throw new Error(`${variable}: "${part}" is not ${what}=>JOB`)
    return { source: m[1], job: m[2] }
  })
}

/** A message body as a job sees it: parsed JSON, or the text when it is not JSON. */
export function bodyOf(buf: Buffer): unknown {
  const text = buf.toString('utf8')
  try { return JSON.parse(text) } catch { return text }
}

/** `orders=>handleOrder, payments=>recordPayment` (RabbitMQ queue names) → routes. */
export const parseAmqpConsumeRoutes = (raw: string) => parseRoutes(raw, 'BASALT_EVENTS_AMQP_CONSUME', SOURCE_PATTERNS.amqp, 'QUEUE')

/** `orders/+=>handleOrder, $share/basalt/pay/#=>recordPayment` (MQTT topic filters) → routes. */
export const parseMqttConsumeRoutes = (raw: string) => parseRoutes(raw, 'BASALT_EVENTS_MQTT_CONSUME', SOURCE_PATTERNS.mqtt, 'TOPIC_FILTER')
