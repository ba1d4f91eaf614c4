// User-supplied regex patterns (text/password `pattern`, `autogeneratePattern`): safe compilation, caching, generation.
import { randomInt } from 'node:crypto'

/**
 * ReDoS guard. PocketBase runs patterns on Go's linear-time RE2; JavaScript's engine backtracks, so a hostile
 * pattern such as `^(a+)+$` can pin the event loop. We therefore (1) cap pattern length, (2) reject
 * backreferences/lookarounds (not RE2 anyway) and (3) reject nested quantifiers (a quantified group that
 * itself contains a quantifier) — the shape behind catastrophic backtracking. Values are also length-capped
 * by the fields (text max defaults to 5000), which bounds the remaining polynomial cases.
 */
export const MAX_PATTERN_LENGTH = 500

/** Returns a reason the pattern is unsafe/invalid, or null if it can be compiled and used. */
export function patternProblem(pattern: string): string | null {
  if (pattern.length > MAX_PATTERN_LENGTH) return `The pattern must be no longer than ${MAX_PATTERN_LENGTH} characters.`
  if (/\\[1-9]|\\k<|\(\?<?[=!]/.test(pattern)) return 'Backreferences and lookarounds are not supported.'
  if (hasNestedQuantifier(pattern)) return 'Nested quantifiers are not allowed.'
  return compile(pattern) ? null : 'Invalid RegEx pattern.'
}

function hasNestedQuantifier(p: string): boolean {
  const stack: boolean[] = [] // per open group: does it contain a quantifier?
  let inClass = false
  for (let i = 0; i < p.length; i++) {
    const c = p[i]
    if (c === '\\') { i++; continue }
    if (inClass) { if (c === ']') inClass = false; continue }
    if (c === '[') { inClass = true; continue }
    if (c === '(') { stack.push(false); continue }
    const isQuant = c === '*' || c === '+' || c === '?' || (c === '{' && /^\{\d+(,\d*)?\}/.test(p.slice(i)))
    if (c === ')') {
      const inner = stack.pop() ?? false
      const next = p[i + 1]
      const quantified = next === '*' || next === '+' || next === '?' || (next === '{' && /^\{\d+(,\d*)?\}/.test(p.slice(i + 1)))
      // `(...)?` with an inner quantifier cannot blow up on its own; `*`, `+`, `{n,}` repeat it
      if (inner && quantified && next !== '?') return true
      if (stack.length && (inner || quantified)) stack[stack.length - 1] = true
      continue
    }
    // a lazy/possessive marker right after another quantifier is not a new quantifier
    if (isQuant && c === '?' && /[*+?}]/.test(p[i - 1] ?? '')) continue
    if (isQuant && stack.length) stack[stack.length - 1] = true
  }
  return false
}

const cache = new Map<string, RegExp | null>()
const CACHE_LIMIT = 1000

/** Compiles once per pattern string. Accepts RE2-style leading inline flags `(?i)`, `(?s)`, `(?m)`. */
export function compile(pattern: string): RegExp | null {
  const hit = cache.get(pattern)
  if (hit !== undefined) return hit
  let source = pattern
  let flags = ''
  const inline = /^\(\?([ims]+)\)/.exec(source)
  if (inline) { flags = [...new Set(inline[1])].join(''); source = source.slice(inline[0].length) }
  let re: RegExp | null = null
  // Unicode mode first so `.` and classes count code points like Go; fall back for patterns with escapes
  // that only the legacy syntax accepts (e.g. `\-` outside a class).
  for (const f of [flags + 'u', flags]) {
    try { re = new RegExp(source, f); break } catch { /* try the next flag set */ }
  }
  if (cache.size >= CACHE_LIMIT) cache.clear()
  cache.set(pattern, re)
  return re
}

const safeCache = new Map<string, RegExp | null>()

/** Tests a value against a user pattern; unsafe or invalid patterns never match (validateOptions rejects them). */
export function matchesPattern(pattern: string, value: string): boolean {
  let re = safeCache.get(pattern)
  if (re === undefined) {
    re = patternProblem(pattern) ? null : compile(pattern)
    if (safeCache.size >= CACHE_LIMIT) safeCache.clear()
    safeCache.set(pattern, re)
  }
  return re !== null && re.test(value)
}

const MAX_GENERATED = 10_000

/**
 * Random string from a simple pattern like `[a-z0-9]{15}` (PocketBase `autogeneratePattern`).
 * Supported: literals, escapes (`\d`, `\w`, `\.`…), character classes with ranges, quantifiers `{n}`,
 * `{n,m}` and `?`, and surrounding `^`/`$`. Anything else (groups, alternation, `*`, `+`, negated classes)
 * throws, so collection validation can report it. Uses the CSPRNG since these generate record ids/tokens.
 */
export function generateFromPattern(pattern: string): string {
  let p = pattern
  if (p.startsWith('^')) p = p.slice(1)
  if (p.endsWith('$') && !p.endsWith('\\$')) p = p.slice(0, -1)
  let out = ''
  let i = 0
  while (i < p.length) {
    let alphabet: string[]
    const c = p[i]
    if (c === '[') {
      const end = findClassEnd(p, i)
      alphabet = parseClass(p.slice(i + 1, end))
      i = end + 1
    } else if (c === '\\') {
      alphabet = escapeSet(p[i + 1])
      i += 2
    } else if ('()|*+.{}?'.includes(c)) {
      throw new Error(`unsupported pattern syntax "${c}"`)
    } else {
      alphabet = [...p.slice(i).match(/^./su)![0]]
      i += alphabet[0].length
    }
    let min = 1
    let max = 1
    const q = /^\{(\d+)(?:,(\d+))?\}/.exec(p.slice(i))
    if (q) {
      min = Number(q[1]); max = q[2] === undefined ? min : Number(q[2])
      i += q[0].length
    } else if (p[i] === '?') { min = 0; i++ }
    if (max < min) throw new Error('invalid repeat count')
    const count = min === max ? min : min + randomInt(max - min + 1)
    if (out.length + count > MAX_GENERATED) throw new Error('the pattern generates too long values')
    for (let k = 0; k < count; k++) out += alphabet[randomInt(alphabet.length)]
  }
  return out
}

function findClassEnd(p: string, start: number): number {
  for (let i = start + 1; i < p.length; i++) {
    if (p[i] === '\\') { i++; continue }
    if (p[i] === ']' && i > start + 1) return i
  }
  throw new Error('missing closing ]')
}

function escapeSet(ch: string | undefined): string[] {
  if (ch === undefined) throw new Error('trailing backslash')
  if (ch === 'd') return [...'0123456789']
  if (ch === 'w') return [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_']
  if (/[a-zA-Z0-9]/.test(ch)) throw new Error(`unsupported escape "\\${ch}"`)
  return [ch]
}

function parseClass(body: string): string[] {
  if (body.startsWith('^')) throw new Error('negated classes are not supported')
  const chars = [...body]
  const set = new Set<string>()
  for (let i = 0; i < chars.length; i++) {
    let from = chars[i]
    if (from === '\\') {
      const esc = escapeSet(chars[++i])
      if (esc.length > 1) { esc.forEach((c) => set.add(c)); continue }
      from = esc[0]
    }
    if (chars[i + 1] === '-' && i + 2 < chars.length) {
      let to = chars[i + 2]
      i += 2
      if (to === '\\') to = escapeSet(chars[++i])[0]
      const a = from.codePointAt(0)!, b = to.codePointAt(0)!
      if (b < a) throw new Error('invalid class range')
      if (b - a > 4096) throw new Error('class range too large')
      for (let cp = a; cp <= b; cp++) set.add(String.fromCodePoint(cp))
    } else set.add(from)
  }
  if (set.size === 0) throw new Error('empty class')
  return [...set]
}
