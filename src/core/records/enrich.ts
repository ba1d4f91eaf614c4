// onRecordEnrich: lets hooks add computed fields to, or hide fields from, one exported record.
import type { Collection } from '../collections/types.ts'
import type { Hook } from '../hooks/hook.ts'
import type { RecordEnrichEvent } from '../hooks/events.ts'
import type { RecordData } from '../../rules/request-info.ts'
import { RecordModel } from './record-model.ts'
import type { ReadContext } from './read-context.ts'

const SYSTEM_KEYS = new Set(['collectionId', 'collectionName', 'expand'])
const NEVER_UNHIDDEN = new Set(['password', 'tokenKey'])

/**
 * Runs the enrich chain on a copy of the exported record. Hidden fields can be un-hidden from the
 * stored record (never password or tokenKey); fields set with `withCustomData(true)` are added.
 */
export async function enrichExported(hook: Hook<RecordEnrichEvent>, c: Collection, stored: RecordData, exported: Record<string, unknown>, ctx: ReadContext): Promise<Record<string, unknown>> {
  const model = new RecordModel(c, { ...exported }, stored)
  await hook.trigger({ collection: c, record: model, requestInfo: ctx.info }, undefined, [c.id, c.name])
  const out: Record<string, unknown> = { ...model.data }
  const { hidden, unhidden } = model.visibilityChanges()
  for (const name of unhidden) if (!NEVER_UNHIDDEN.has(name) && name in stored) out[name] = stored[name]
  for (const name of hidden) if (!SYSTEM_KEYS.has(name)) delete out[name]
  return out
}
