// `{:name}` placeholders in filters written by app code, filled with safely quoted literals.
import { formatDate } from '../core/clock.ts'

export type FilterParams = Record<string, unknown>

/**
 * Replaces each `{:name}` with a literal of the rule language (which the compiler then binds as a
 * parameter). Text is double-quoted with `"` escaped; a text ending in a backslash cannot be quoted
 * unambiguously in the language and is refused rather than risk changing the expression.
 */
export function fillFilterParams(filter: string, params: FilterParams = {}): string {
  return filter.replace(/\{:([A-Za-z_]\w*)\}/g, (whole, name: string) => {
    if (!(name in params)) throw new Error(`filter placeholder ${whole} has no value in params`)
    return literal(params[name])
  })
}

function literal(v: unknown): string {
  if (v === null || v === undefined) return 'null'
  if (typeof v === 'boolean') return v ? 'true' : 'false'
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error('filter params: numbers must be finite')
    return String(v)
  }
  if (v instanceof Date) return quote(formatDate(v))
  if (typeof v === 'string') return quote(v)
  return quote(JSON.stringify(v))
}

function quote(text: string): string {
  if (text.endsWith('\\')) throw new Error('filter params: a text value cannot end with a backslash')
  return `"${text.replace(/"/g, '\\"')}"`
}
