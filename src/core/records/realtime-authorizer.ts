// Realtime authorizer: what one subscriber may see of a change — the same rules and visibility as a normal read.
import type { SchemaLookup } from '../collections/types.ts'
import type { Authorizer } from '../../realtime/types.ts'
import type { RequestInfo } from '../../rules/request-info.ts'
import { sql } from '../../store/sql.ts'
import { ApiError } from '../errors.ts'
import { MAIN_ALIAS, fromValues } from './record-io.ts'
import { andAll, compileOrFail, ruleCondition } from './read-context.ts'
import type { RecordService } from './record-service.ts'

const SUPERUSER_ONLY_FILTER = /@collection\.|@request\./

export function recordAuthorizer(records: RecordService, schema: SchemaLookup): Authorizer {
  return async (auth, topic, event) => {
    const c = schema.find(event.collectionId)
    if (!c) return null
    const info: RequestInfo = {
      auth, method: 'GET', context: 'realtime', body: {},
      query: topic.options.query, headers: topic.options.headers,
    }
    const ctx = records.readContext(info)
    const rule = ruleCondition(ctx, c, topic.recordId ? 'viewRule' : 'listRule')
    if (rule === null) return null
    const filterText = topic.options.query.filter?.trim()
    if (filterText && !ctx.viewer.superuser && SUPERUSER_ONLY_FILTER.test(filterText)) return null
    let filter
    try {
      filter = filterText ? compileOrFail(ctx, c, filterText, MAIN_ALIAS, !ctx.viewer.superuser) : undefined
    } catch (err) {
      // An invalid subscription filter (bad syntax, hidden field) matches nothing: the subscriber asked
      // for something it may not see, which is not a server error worth logging on every event.
      if (err instanceof ApiError && err.status < 500) return null
      throw err
    }
    if (rule || filter) {
      // Evaluated against the event's own values, so deletes (row already gone) are judged the same way.
      const ok = await ctx.db.get(sql`SELECT 1 AS "ok" FROM ${fromValues(c, event.record, ctx.dialect)} WHERE ${andAll([rule, filter])}`)
      if (!ok) return null
    }
    const [out] = await records.present(ctx, c, [event.record], { expand: topic.options.query.expand, fields: topic.options.query.fields })
    return out as object
  }
}
