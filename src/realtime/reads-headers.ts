// Whether any rule may read `@request.headers` for a realtime event (then subscribers' headers key the authorizer memo).
import type { Collection } from '../core/collections/types.ts'
import type { ChangeEvent, Topic } from './types.ts'

const READS_HEADERS = /@request\.headers/

interface Schema { readonly version: number; all(): readonly Collection[] }

function ruleTexts(c: Collection): (string | null | undefined)[] {
  return [c.listRule, c.viewRule, c.auth?.authRule, c.auth?.manageRule]
}

/**
 * Expanded relations are judged by their own collections' view rules, so one header-reading rule anywhere
 * makes every event header-sensitive. Recomputed only when the schema changes.
 */
export function rulesReadHeaders(schema: Schema): (event: ChangeEvent, topic: Topic) => boolean {
  let version = -1
  let any = true
  return (_event, topic) => {
    if (version !== schema.version) {
      version = schema.version
      any = schema.all().some((c) => ruleTexts(c).some((r) => !!r && READS_HEADERS.test(r)))
    }
    return any || READS_HEADERS.test(topic.options.query.filter ?? '')
  }
}
