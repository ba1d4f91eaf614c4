// Lexer tests: token kinds/values for every token shape, and every lexical error.
import { describe, expect, it } from 'vitest'
import { RuleError } from './errors.ts'
import { tokenize } from './lexer.ts'

const kv = (input: string) => tokenize(input).map((t) => `${t.kind}:${t.value}`)

describe('tokenize', () => {
  it.each([
    ['a = 1', ['ident:a', 'op:=', 'number:1']],
    ['a.b_c:lower != "x"', ['ident:a.b_c:lower', 'op:!=', 'text:x']],
    ['@request.auth.id?=@collection.m:x.id', ['ident:@request.auth.id', 'op:?=', 'ident:@collection.m:x.id']],
    ['#tag ~ -1.5', ['ident:#tag', 'op:~', 'number:-1.5']],
    ["x !~ 'it\\'s'", ['ident:x', 'op:!~', "text:it's"]],
    ['x = "a\\"b\\n"', ['ident:x', 'op:=', 'text:a"b\\n']],
    ["x = 'a\\\"b'", ['ident:x', 'op:=', 'text:a\\"b']],
    ['(a>1&&b<=2)||c>=3', ['lparen:(', 'ident:a', 'op:>', 'number:1', 'and:&&', 'ident:b', 'op:<=', 'number:2', 'rparen:)', 'or:||', 'ident:c', 'op:>=', 'number:3']],
    ['a ?!= b ?!~ c ?> d ?>= e ?< f ?<= g ?~ h', ['ident:a', 'op:?!=', 'ident:b', 'op:?!~', 'ident:c', 'op:?>', 'ident:d', 'op:?>=', 'ident:e', 'op:?<', 'ident:f', 'op:?<=', 'ident:g', 'op:?~', 'ident:h']],
    ['a = 1 // comment ( "\nb = 2', ['ident:a', 'op:=', 'number:1', 'ident:b', 'op:=', 'number:2']],
    ["strftime('%Y', created,)", ['ident:strftime', 'lparen:(', "text:%Y", 'comma:,', 'ident:created', 'comma:,', 'rparen:)']],
    ['\t\r\n a=b ', ['ident:a', 'op:=', 'ident:b']],
    ['ümlaut = 1', ['ident:ümlaut', 'op:=', 'number:1']],
    ['', []],
    ['// only a comment', []],
  ])('%j', (input, expected) => {
    expect(kv(input)).toEqual(expected)
  })

  it('records positions', () => {
    expect(tokenize('ab  >= "x"').map((t) => [t.pos, t.end])).toEqual([[0, 2], [4, 6], [7, 10]])
  })

  it.each([
    ['a = "unterminated', /unterminated text/],
    ["a = 'x\\'", /unterminated text/],
    ['a = 1.2.3', /invalid number/],
    ['a = 1.', /invalid number/],
    ['a = 12abc', /invalid number/],
    ['a = .5', /unexpected character/],
    ['a = -', /unexpected character/],
    ['a. = 1', /must not end/],
    ['a: = 1', /must not end/],
    ['a & b', /unexpected character "&"/],
    ['a | b', /unexpected character "\|"/],
    ['a ! b', /unexpected character "!"/],
    ['a = b;', /unexpected character ";"/],
    ['a = `b`', /unexpected character/],
    ['a = $1', /unexpected character/],
    ['(a = 1', /unbalanced "\("/],
    ['a = 1)', /unbalanced "\)"/],
    ['('.repeat(33) + 'a=1' + ')'.repeat(33), /nested deeper than 32/],
    ['('.repeat(100_000), /nested deeper/],
  ])('rejects %j', (input, message) => {
    expect(() => tokenize(input)).toThrow(RuleError)
    expect(() => tokenize(input)).toThrow(message)
  })
})
