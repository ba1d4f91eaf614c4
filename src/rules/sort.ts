// Sort compiler: `-created,title,+name,@random,@rowid` -> ORDER BY terms (without the keyword).
import { sql, type Sql } from '../store/sql.ts'
import { MAX_SORT_TERMS, MAX_SORT_TERM_LENGTH, RuleError, quote } from './errors.ts'
import { tokenize } from './lexer.ts'
import { fromJoins, makeContext } from './compile.ts'
import { andSql, ident, type CompileOptions } from './resolve-context.ts'
import { resolveIdent } from './resolve.ts'

export function compileSort(sort: string, opts: CompileOptions): Sql {
  if (typeof sort !== 'string') throw new RuleError('invalid sort: not a string')
  const terms = sort.split(',').map((t) => t.trim()).filter((t) => t !== '')
  if (terms.length === 0) return sql.empty
  if (terms.length > MAX_SORT_TERMS) throw new RuleError(`too many sort fields (max ${MAX_SORT_TERMS})`)
  const ctx = { ...makeContext(opts), sortMode: true }
  return sql.join(terms.map((term) => {
    if (term.length > MAX_SORT_TERM_LENGTH) throw new RuleError(`sort field is too long (max ${MAX_SORT_TERM_LENGTH} characters)`)
    const desc = term.startsWith('-')
    const name = term[0] === '-' || term[0] === '+' ? term.slice(1) : term
    if (name === '@random') return opts.dialect.random()
    if (name === '@rowid') {
      // A view collection is an SQL view: it has no insertion order to sort by.
      if (opts.collection.type === 'view') throw new RuleError('cannot sort a view collection by @rowid')
      return sql`${ident(ctx, opts.alias)}.${sql.raw('_rowid_')}${sql.raw(desc ? ' DESC' : ' ASC')}`
    }
    // The lexer is the allowlist: a sort term must be exactly one identifier token.
    const tokens = safeTokens(name)
    if (tokens.length !== 1 || tokens[0].kind !== 'ident') throw new RuleError(`invalid sort field ${quote(name)}`)
    if (name.startsWith('@')) throw new RuleError(`cannot sort by ${quote(name)}`)
    const op = resolveIdent(ctx, name)
    if (op.known || op.multi) throw new RuleError(`cannot sort by ${quote(name)}: it is not a single-valued field`)
    // Guards (email visibility) turn the value into NULL rather than filtering the row out.
    const guarded = op.guards.length ? sql`(CASE WHEN ${andSql(op.guards)} THEN ${op.value} END)` : op.value
    const expr = op.joins.length ? sql`(SELECT ${guarded} FROM ${fromJoins(ctx, op.joins)} LIMIT 1)` : guarded
    // A plain column of the main row is NOT NULL (every field column but json is declared so).
    const notNull = !op.joins.length && !op.guards.length && op.type !== 'json' && op.type !== undefined
    return opts.dialect.orderTerm(expr, desc, op.type, notNull)
  }))
}

function safeTokens(text: string) {
  try {
    return tokenize(text)
  } catch {
    return []
  }
}
