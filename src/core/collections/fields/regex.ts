// User-supplied regex patterns (text/password `pattern`, `autogeneratePattern`): safe compilation, caching, generation.
import { randomInt } from 'node:crypto'
import v8 from 'node:v8'

/**
 * ReDoS guard. PocketBase runs patterns on Go's linear-time RE2; JavaScript's default engine backtracks, so a
 * hostile pattern such as `^(a+)+$` or even `\d*\d*\d*x` can pin the event loop for seconds.
 * 1. Patterns are capped at MAX_PATTERN_LENGTH chars; backreferences/lookarounds are rejected (not RE2 either).
 * 2. Whenever possible patterns run on V8's linear-time engine (RegExp flag `l`, enabled below). It lacks the
 *    `u`/`i` flags and large repeat counts, so `.` counts UTF-16 units there (a minor deviation from Go).
 * 3. Patterns the linear engine cannot run fall back to the backtracking engine only if they have no nested
 *    quantifier or quantified alternation and at most one "heavy" quantifier (unbounded or > 16 repeats).
 */
export const MAX_PATTERN_LENGTH = 500

let linearEngine = false
try {
  // Only unlocks parsing of the `l` flag; regexes without it are unaffected. Safe to set after startup.
  v8.setFlagsFromString('--enable-experimental-regexp-engine')
  new RegExp('a', 'l')
  linearEngine = true
} catch { /* older/newer V8 without the flag: heuristics below still apply */ }

interface Compiled { re: RegExp; linear: boolean }

/** Returns a reason the pattern is unsafe/invalid, or null if it can be compiled and used. */
export function patternProblem(pattern: string): string | null {
  if (pattern.length > MAX_PATTERN_LENGTH) return `The pattern must be no longer than ${MAX_PATTERN_LENGTH} characters.`
  if (/\\[1-9]|\\k<|\(\?<?[=!]/.test(pattern)) return 'Backreferences and lookarounds are not supported.'
  const compiled = compile(pattern)
  if (!compiled) return 'Invalid RegEx pattern.'
  if (!compiled.linear && !backtrackingSafe(pattern)) {
    return 'The pattern is too complex (nested or repeated quantifiers are not allowed).'
  }
  return null
}

const QUANT_AT = /^(?:[*+?]|\{(\d+)(?:(,)(\d*))?\})/

/** Heuristic for the backtracking fallback: no quantified group containing a quantifier or `|`, ≤ 1 heavy quantifier. */
function backtrackingSafe(p: string): boolean {
  const stack: boolean[] = [] // per open group: does it contain a quantifier or alternation?
  let inClass = false
  let heavy = 0
  for (let i = 0; i < p.length; i++) {
    const c = p[i]
    if (c === '\\') { i++; continue }
    if (inClass) { if (c === ']') inClass = false; continue }
    if (c === '[') { inClass = true; continue }
    if (c === '(') { stack.push(false); continue }
    if (c === '|') { if (stack.length) stack[stack.length - 1] = true; continue }
    if (c === ')') {
      const inner = stack.pop() ?? false
      const q = QUANT_AT.exec(p.slice(i + 1))
      // `(...)?` runs at most once, so only repeating quantifiers make an inner ambiguity explode
      if (inner && q && q[0] !== '?') return false
      if (stack.length && (inner || q)) stack[stack.length - 1] = true
      continue
    }
    const q = QUANT_AT.exec(p.slice(i))
    if (!q) continue
    // a lazy marker right after another quantifier is not a new quantifier
    if (c === '?' && /[*+?}]/.test(p[i - 1] ?? '')) continue
    if (q[0] === '*' || q[0] === '+' || (q[2] === ',' && (q[3] === '' || Number(q[3]) > 16)) || Number(q[1]) > 16) heavy++
    if (heavy > 1) return false
    if (stack.length) stack[stack.length - 1] = true
    i += q[0].length - 1
  }
  return true
}

const cache = new Map<string, Compiled | null>()
const CACHE_LIMIT = 1000

/** Compiles once per pattern string. Accepts RE2-style leading inline flags `(?i)`, `(?s)`, `(?m)`. */
export function compile(pattern: string): Compiled | null {
  const hit = cache.get(pattern)
  if (hit !== undefined) return hit
  let source = pattern
  let flags = ''
  const inline = /^\(\?([ims]+)\)/.exec(source)
  if (inline) { flags = [...new Set(inline[1])].join(''); source = source.slice(inline[0].length) }
  let compiled: Compiled | null = null
  // `\p{L}`/`\u{…}` mean something else (literal text) without `u`, and the linear engine has no `u` mode
  const needsUnicode = /\\[pP]\{|\\u\{/.test(source)
  const attempts: [string, boolean][] = needsUnicode ? [[flags + 'u', false]] : [[flags + 'u', false], [flags, false]]
  if (linearEngine && !needsUnicode) attempts.unshift([flags + 'l', true])
  for (const [f, linear] of attempts) {
    // Unicode mode before legacy so classes count code points like Go; legacy accepts e.g. `\-` outside a class
    try { compiled = { re: new RegExp(source, f), linear }; break } catch { /* try the next engine/flags */ }
  }
  if (cache.size >= CACHE_LIMIT) cache.clear()
  cache.set(pattern, compiled)
  return compiled
}

const safeCache = new Map<string, RegExp | null>()

/** Tests a value against a user pattern; unsafe or invalid patterns never match (validateOptions rejects them). */
export function matchesPattern(pattern: string, value: string): boolean {
  let re = safeCache.get(pattern)
  if (re === undefined) {
    re = patternProblem(pattern) ? null : compile(pattern)!.re
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
