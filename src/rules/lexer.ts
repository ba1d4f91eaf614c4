// Lexer: turns a filter/rule string into tokens (fexpr rules), single pass, no regex backtracking.
import { OPERATORS } from './ast.ts'
import { MAX_NESTING_DEPTH, RuleError, quote } from './errors.ts'

export type TokenKind = 'ident' | 'number' | 'text' | 'op' | 'and' | 'or' | 'lparen' | 'rparen' | 'comma'

export interface Token {
  kind: TokenKind
  /** Identifier name, operator, number source text, or the unescaped text literal. */
  value: string
  /** Offset of the first character in the input. */
  pos: number
  /** Offset just past the last character. */
  end: number
}

// Longest first so `?!=` wins over `?!` prefixes and `>=` over `>`.
const OPS = [...OPERATORS].sort((a, b) => b.length - a.length)

const isDigit = (c: string) => c >= '0' && c <= '9'
const isAsciiLetter = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
// Single-character test: cannot backtrack.
const isLetter = (c: string) => isAsciiLetter(c) || (c > '\x7f' && /^\p{L}$/u.test(c))
const isIdentStart = (c: string) => isLetter(c) || c === '_' || c === '@' || c === '#'
const isIdentPart = (c: string) => isLetter(c) || isDigit(c) || c === '_' || c === '.' || c === ':'
const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r'

export function tokenize(input: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  let depth = 0
  const fail = (what: string, at: number): never => {
    throw new RuleError(`invalid filter expression: ${what} at position ${at}`)
  }
  while (i < input.length) {
    const c = input[i]
    const start = i
    if (isSpace(c)) { i++; continue }
    if (c === '/' && input[i + 1] === '/') {
      while (i < input.length && input[i] !== '\n') i++
      continue
    }
    if (c === '(' || c === ')') {
      depth += c === '(' ? 1 : -1
      if (depth > MAX_NESTING_DEPTH) fail(`parentheses nested deeper than ${MAX_NESTING_DEPTH}`, i)
      if (depth < 0) fail('unbalanced ")"', i)
      tokens.push({ kind: c === '(' ? 'lparen' : 'rparen', value: c, pos: i, end: ++i })
      continue
    }
    if (c === ',') { tokens.push({ kind: 'comma', value: c, pos: i, end: ++i }); continue }
    if ((c === '&' || c === '|') && input[i + 1] === c) {
      i += 2
      tokens.push({ kind: c === '&' ? 'and' : 'or', value: c + c, pos: start, end: i })
      continue
    }
    if (c === "'" || c === '"') { i = scanText(input, i, tokens, fail); continue }
    if (isDigit(c) || (c === '-' && isDigit(input[i + 1] ?? ''))) { i = scanNumber(input, i, tokens, fail); continue }
    if (isIdentStart(c)) {
      i++
      while (i < input.length && isIdentPart(input[i])) i++
      const name = input.slice(start, i)
      if (name.endsWith('.') || name.endsWith(':')) fail(`identifier ${quote(name)} must not end with "." or ":"`, start)
      tokens.push({ kind: 'ident', value: name, pos: start, end: i })
      continue
    }
    const op = OPS.find((o) => input.startsWith(o, i))
    if (op) {
      i += op.length
      tokens.push({ kind: 'op', value: op, pos: start, end: i })
      continue
    }
    fail(`unexpected character ${JSON.stringify(c)}`, i)
  }
  if (depth !== 0) fail('unbalanced "("', input.length)
  return tokens
}

/** Text in '…' or "…": only the escaped same quote is unescaped, other backslashes stay literal. */
function scanText(input: string, i: number, out: Token[], fail: (w: string, at: number) => never): number {
  const delim = input[i]
  const start = i++
  let value = ''
  while (i < input.length) {
    const c = input[i]
    if (c === '\\' && input[i + 1] === delim) { value += delim; i += 2; continue }
    if (c === delim) {
      out.push({ kind: 'text', value, pos: start, end: i + 1 })
      return i + 1
    }
    value += c
    i++
  }
  return fail('unterminated text literal', start)
}

/** Optional leading `-`, digits, at most one `.` that is neither first nor last. */
function scanNumber(input: string, i: number, out: Token[], fail: (w: string, at: number) => never): number {
  const start = i
  if (input[i] === '-') i++
  let dots = 0
  while (i < input.length && (isDigit(input[i]) || input[i] === '.')) {
    if (input[i] === '.') dots++
    i++
  }
  const text = input.slice(start, i)
  if (dots > 1 || text.endsWith('.') || (i < input.length && isIdentPart(input[i]))) {
    fail(`invalid number ${quote(input.slice(start, i + 1))}`, start)
  }
  out.push({ kind: 'number', value: text, pos: start, end: i })
  return i
}
