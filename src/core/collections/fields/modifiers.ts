// PocketBase body modifiers: number `f+`/`f-`, select/relation/file `+f` (prepend), `f+` (append), `f-` (remove).
import type { FieldError } from '../../errors.ts'
import type { Field } from '../types.ts'
import { err, isScalarList, normalizeList, toUniqueStrings } from './common.ts'
import { castNumber, parseNumber } from './number.ts'
import { ErrorCode } from '../../error-codes.ts'

export type ModifierOp = 'prepend' | 'append' | 'remove' | 'add' | 'subtract'

const notANumber = () => err(ErrorCode.notANumber, 'The submitted number is not properly formatted')
const invalid = (message: string) => err(ErrorCode.invalidValue, message)

/**
 * Parses a body key into its field name and modifier (`+name`, `name+`, `name-`), or undefined if the key has
 * no modifier. Callers look the name up and pass `op` to applyModifier (`name+` means add for numbers).
 */
export function parseModifierKey(key: string): { name: string; op: 'prepend' | 'append' | 'remove' } | undefined {
  if (key.length > 1 && key.startsWith('+')) return { name: key.slice(1), op: 'prepend' }
  if (key.length > 1 && key.endsWith('+')) return { name: key.slice(0, -1), op: 'append' }
  if (key.length > 1 && key.endsWith('-')) return { name: key.slice(0, -1), op: 'remove' }
  return undefined
}

/**
 * Applies a modifier to the current stored value. Unlike PocketBase (which casts garbage operands to 0 / drops
 * them), hostile operands are rejected: numbers must be finite numbers or numeric strings and the result must
 * stay finite; list operands must be strings/scalars (or a JSON array string), never objects.
 */
export function applyModifier(
  field: Field, current: unknown, op: ModifierOp, operand: unknown,
): { value: unknown } | { error: FieldError } {
  if (field.type === 'number') {
    // `f+`/`f-` arrive as append/remove from key parsing; accept both spellings
    const sign = op === 'add' || op === 'append' ? 1 : op === 'subtract' || op === 'remove' ? -1 : 0
    if (!sign) return { error: invalid('Unsupported modifier for a number field') }
    let n: number | undefined
    if (typeof operand === 'number') n = operand
    else if (typeof operand === 'string') n = parseNumber(operand.trim())
    if (n === undefined || !Number.isFinite(n)) return { error: notANumber() }
    const base = castNumber(current)
    const result = (Number.isFinite(base) ? base : 0) + sign * n
    if (!Number.isFinite(result)) return { error: notANumber() }
    return { value: result }
  }
  if (field.type === 'select' || field.type === 'relation' || field.type === 'file') {
    if (op !== 'prepend' && op !== 'append' && op !== 'remove') {
      return { error: invalid(`Unsupported modifier for a ${field.type} field`) }
    }
    if (!isScalarList(operand)) return { error: invalid('Invalid value') }
    const cur = toUniqueStrings(current)
    const mod = toUniqueStrings(operand)
    let next: string[]
    if (op === 'prepend') next = [...mod, ...cur]
    else if (op === 'append') next = [...cur, ...mod]
    else {
      const drop = new Set(mod)
      next = cur.filter((v) => !drop.has(v))
    }
    return { value: normalizeList(field, next) }
  }
  return { error: invalid(`The ${field.type} field does not support modifiers`) }
}
