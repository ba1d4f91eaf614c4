// Parser: tokens -> Expr AST. AND binds tighter than OR; depth is bounded by the lexer.
import type { Expr, Op, Operand } from './ast.ts'
import { MAX_EXPRESSIONS, MAX_EXPR_LENGTH, MAX_FUNC_ARGS, MAX_FUNC_DEPTH, RuleError } from './errors.ts'
import { tokenize, type Token } from './lexer.ts'

/** Parses a whole filter/rule expression. Throws RuleError on any syntax error or limit. */
export function parse(input: string): Expr {
  if (typeof input !== 'string') throw new RuleError('invalid filter expression: not a string')
  if (input.length > MAX_EXPR_LENGTH) {
    throw new RuleError(`filter expression is too long (max ${MAX_EXPR_LENGTH} characters)`)
  }
  const tokens = tokenize(input)
  if (tokens.length === 0) throw new RuleError('invalid filter expression: empty expression')
  const p = new Parser(tokens)
  const expr = p.parseOr()
  if (p.peek()) p.fail('unexpected token', p.peek())
  return expr
}

class Parser {
  private i = 0
  private comparisons = 0

  constructor(private readonly tokens: Token[]) {}

  peek(): Token | undefined {
    return this.tokens[this.i]
  }

  fail(what: string, tok?: Token): never {
    const where = tok ? ` "${tok.value.slice(0, 40)}" at position ${tok.pos}` : ' at end of input'
    throw new RuleError(`invalid or incomplete filter expression: ${what}${where}`)
  }

  parseOr(): Expr {
    const items = [this.parseAnd()]
    while (this.peek()?.kind === 'or') {
      this.i++
      items.push(this.parseAnd())
    }
    return items.length === 1 ? items[0] : { kind: 'or', items }
  }

  private parseAnd(): Expr {
    const items = [this.parsePrimary()]
    while (this.peek()?.kind === 'and') {
      this.i++
      items.push(this.parsePrimary())
    }
    return items.length === 1 ? items[0] : { kind: 'and', items }
  }

  private parsePrimary(): Expr {
    const tok = this.peek()
    if (tok?.kind === 'lparen') {
      this.i++
      if (this.peek()?.kind === 'rparen') this.fail('empty group', this.peek())
      const inner = this.parseOr()
      if (this.peek()?.kind !== 'rparen') this.fail('expected ")"', this.peek())
      this.i++
      return inner
    }
    const left = this.parseOperand(1)
    const opTok = this.peek()
    if (opTok?.kind !== 'op') this.fail('expected an operator after operand', opTok ?? tok)
    this.i++
    const right = this.parseOperand(1)
    if (++this.comparisons > MAX_EXPRESSIONS) {
      throw new RuleError(`filter expression has too many comparisons (max ${MAX_EXPRESSIONS})`)
    }
    return { kind: 'cmp', op: opTok.value as Op, left, right, pos: left.pos }
  }

  private parseOperand(funcDepth: number): Operand {
    const tok = this.peek()
    if (!tok) return this.fail('expected an operand')
    this.i++
    switch (tok.kind) {
      case 'number': {
        const value = Number(tok.value)
        if (!Number.isFinite(value)) this.fail('number out of range', tok)
        return { kind: 'number', value, pos: tok.pos }
      }
      case 'text': return { kind: 'text', value: tok.value, pos: tok.pos }
      case 'ident': {
        const next = this.peek()
        if (next?.kind === 'lparen' && next.pos === tok.end) return this.parseFunc(tok, funcDepth)
        return { kind: 'ident', name: tok.value, pos: tok.pos }
      }
      default: return this.fail('expected an operand', tok)
    }
  }

  /** `name(arg, …[,])`; args are operands, nested calls count toward MAX_FUNC_DEPTH. */
  private parseFunc(name: Token, depth: number): Operand {
    if (depth > MAX_FUNC_DEPTH) this.fail(`functions nested deeper than ${MAX_FUNC_DEPTH}`, name)
    this.i++ // (
    const args: Operand[] = []
    while (this.peek()?.kind !== 'rparen') {
      args.push(this.parseOperand(depth + 1))
      if (args.length > MAX_FUNC_ARGS) this.fail(`too many function arguments (max ${MAX_FUNC_ARGS})`, name)
      const sep = this.peek()
      if (sep?.kind === 'comma') { this.i++; continue }
      if (sep?.kind !== 'rparen') this.fail('expected "," or ")" in function call', sep)
    }
    this.i++ // )
    return { kind: 'func', name: name.value, args, pos: name.pos }
  }
}
