// Unit: app-code filter params are quoted so a value can never change the expression.
import { describe, expect, it } from 'vitest'
import { fillFilterParams } from './filter-params.ts'
import { parse } from '../rules/parser.ts'

describe('fillFilterParams', () => {
  it('quotes text, numbers, booleans, null and dates', () => {
    expect(fillFilterParams('a = {:a} && b > {:b} && c = {:c} && d = {:d}', { a: 'x', b: 2.5, c: true, d: null })).toBe('a = "x" && b > 2.5 && c = true && d = null')
    expect(fillFilterParams('t < {:t}', { t: new Date('2026-01-02T03:04:05.006Z') })).toBe('t < "2026-01-02 03:04:05.006Z"')
  })

  it('a hostile value stays one text literal of the parsed expression', () => {
    const filled = fillFilterParams('title = {:t}', { t: '" || id != "' })
    const ast = parse(filled)
    expect(ast).toMatchObject({ op: '=' })
    expect(JSON.stringify(ast)).toContain('\\" || id != \\"')
  })

  it('refuses unknown placeholders and values it cannot quote', () => {
    expect(() => fillFilterParams('a = {:missing}', {})).toThrow(/no value/)
    expect(() => fillFilterParams('a = {:x}', { x: 'ends with \\' })).toThrow(/backslash/)
    expect(() => fillFilterParams('a = {:x}', { x: Infinity })).toThrow(/finite/)
  })
})
