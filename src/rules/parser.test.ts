// Parser tests: precedence, grouping, functions, syntax errors and limits.
import { describe, expect, it } from 'vitest'
import type { Expr, Operand } from './ast.ts'
import { MAX_EXPRESSIONS, MAX_EXPR_LENGTH, RuleError } from './errors.ts'
import { parse } from './parser.ts'

/** Compact S-expression rendering of an AST. */
function show(e: Expr): string {
  const o = (x: Operand): string =>
    x.kind === 'ident' ? x.name : x.kind === 'number' ? String(x.value) : x.kind === 'text' ? JSON.stringify(x.value)
      : `${x.name}(${x.args.map(o).join(',')})`
  return e.kind === 'cmp' ? `${o(e.left)}${e.op}${o(e.right)}` : `${e.kind}[${e.items.map(show).join(' ')}]`
}

describe('parse', () => {
  it.each([
    ['a = 1', 'a=1'],
    ['a = 1 && b = 2 || c = 3', 'or[and[a=1 b=2] c=3]'],
    ['a = 1 || b = 2 && c = 3', 'or[a=1 and[b=2 c=3]]'],
    ['(a = 1 || b = 2) && c = 3', 'and[or[a=1 b=2] c=3]'],
    ['((a = 1))', 'a=1'],
    ['a=1 && (b=2 && (c=3 || d=4))', 'and[a=1 and[b=2 or[c=3 d=4]]]'],
    ['"x" ?~ tags.name', '"x"?~tags.name'],
    ['-1.5 < 2', '-1.5<2'],
    ["strftime('%Y-%m', created) = '2024-01'", 'strftime("%Y-%m",created)="2024-01"'],
    ["strftime('%Y', created, 'start of day',) != ''", 'strftime("%Y",created,"start of day")!=""'],
    ['f(g(h(1))) = 1', 'f(g(h(1)))=1'],
    ['a = 1 // trailing comment', 'a=1'],
  ])('%j -> %s', (input, expected) => {
    expect(show(parse(input))).toBe(expected)
  })

  it.each([
    ['', /empty expression/],
    ['   // nothing', /empty expression/],
    ['verified', /expected an operator/],
    ['a =', /expected an operand/],
    ['= 1', /expected an operand/],
    ['a = 1 &&', /expected an operand/],
    ['&& a = 1', /expected an operand/],
    ['a = 1 b = 2', /unexpected token/],
    ['a = = 1', /expected an operand/],
    ['()', /empty group/],
    ['(a = 1) = 2', /unexpected token/],
    ['a = (1)', /expected an operand/],
    ['f (1) = 1', /expected an operator/],
    ['f(1 2) = 1', /expected "," or "\)"/],
    ['f(,) = 1', /expected an operand/],
    ['f(g(h(i(1)))) = 1', /nested deeper than 3/],
    [`f(${'1,'.repeat(11)}) = 1`, /too many function arguments/],
    ['a = 1 || || b = 2', /expected an operand/],
  ])('rejects %j', (input, message) => {
    expect(() => parse(input)).toThrow(RuleError)
    expect(() => parse(input)).toThrow(message)
  })

  it('limits length, comparison count and depth', () => {
    expect(() => parse(`a = "${'x'.repeat(MAX_EXPR_LENGTH)}"`)).toThrow(/too long/)
    const many = (n: number) => Array.from({ length: n }, () => 'a=1').join('&&')
    expect(() => parse(many(MAX_EXPRESSIONS))).not.toThrow()
    expect(() => parse(many(MAX_EXPRESSIONS + 1))).toThrow(/too many comparisons/)
    expect(() => parse('('.repeat(32) + 'a=1' + ')'.repeat(32))).not.toThrow()
    expect(() => parse('('.repeat(33) + 'a=1' + ')'.repeat(33))).toThrow(/nested deeper/)
    expect(() => parse('('.repeat(100_000))).toThrow(RuleError)
    expect(() => parse(null as unknown as string)).toThrow(RuleError)
  })
})
