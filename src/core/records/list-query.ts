// Parses and bounds list parameters (page, perPage, sort, filter, expand, fields, skipTotal).
import { badRequest } from '../errors.ts'

export const DEFAULT_PER_PAGE = 30
export const MAX_PER_PAGE = 1000
const MAX_PAGE = 1_000_000

export interface ListQuery {
  page: number
  perPage: number
  sort: string
  filter: string
  expand: string
  fields: string
  skipTotal: boolean
}

export interface ReadQuery { expand?: string; fields?: string }

/** Go's strconv.ParseBool, which PocketBase uses for flags such as skipTotal. */
export function parseBoolParam(value: string | undefined, name: string): boolean {
  if (value === undefined || value === '') return false
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false
  throw badRequest(`Invalid ${name} value.`)
}

function parseIntParam(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined || value === '') return fallback
  if (!/^-?\d{1,10}$/.test(value)) throw badRequest(`Invalid ${name} value.`)
  return Number(value)
}

export function parseListQuery(q: Record<string, string | undefined>): ListQuery {
  let page = parseIntParam(q.page, 'page', 1)
  let perPage = parseIntParam(q.perPage, 'perPage', DEFAULT_PER_PAGE)
  if (page < 1) page = 1
  if (page > MAX_PAGE) throw badRequest('Invalid page value.')
  if (perPage <= 0) perPage = DEFAULT_PER_PAGE
  if (perPage > MAX_PER_PAGE) perPage = MAX_PER_PAGE
  return {
    page, perPage,
    sort: q.sort ?? '', filter: q.filter ?? '', expand: q.expand ?? '', fields: q.fields ?? '',
    skipTotal: parseBoolParam(q.skipTotal, 'skipTotal'),
  }
}
