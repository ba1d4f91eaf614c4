// AST of the filter/rule language: comparisons joined by AND/OR groups (fexpr shape).

export type BaseOp = '=' | '!=' | '>' | '>=' | '<' | '<=' | '~' | '!~'
export type AnyOp = `?${BaseOp}`
export type Op = BaseOp | AnyOp

export const OPERATORS: readonly Op[] = [
  '=', '!=', '>', '>=', '<', '<=', '~', '!~',
  '?=', '?!=', '?>', '?>=', '?<', '?<=', '?~', '?!~',
]

export type Operand =
  | { kind: 'ident'; name: string; pos: number }
  | { kind: 'number'; value: number; pos: number }
  | { kind: 'text'; value: string; pos: number }
  | { kind: 'func'; name: string; args: Operand[]; pos: number }

export type Expr =
  | { kind: 'cmp'; op: Op; left: Operand; right: Operand; pos: number }
  | { kind: 'and' | 'or'; items: Expr[] }

/** `?=`-style operators: at least one value of a multi-valued operand must match. */
export function isAnyOp(op: Op): op is AnyOp {
  return op.startsWith('?')
}

export function baseOp(op: Op): BaseOp {
  return (isAnyOp(op) ? op.slice(1) : op) as BaseOp
}

/** Calls `visit` for every operand of the tree (function arguments included). */
export function forEachOperand(expr: Expr, visit: (o: Operand) => void): void {
  const stack: Expr[] = [expr]
  const walk = (o: Operand): void => {
    visit(o)
    if (o.kind === 'func') o.args.forEach(walk)
  }
  while (stack.length) {
    const e = stack.pop()!
    if (e.kind === 'cmp') {
      walk(e.left)
      walk(e.right)
    } else stack.push(...e.items)
  }
}
