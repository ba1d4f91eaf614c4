// Datetime macros (@now, @todayStart, @hour …), all UTC, as PocketBase's identifier_macros.go.

const DAY_MS = 86_400_000

/** PocketBase datetime layout `YYYY-MM-DD HH:MM:SS.mmmZ`. */
export function formatDateTime(d: Date): string {
  return d.toISOString().replace('T', ' ')
}

type Macro = (now: Date) => string | number

const utc = (...args: [number, number, number?, number?, number?, number?, number?]) =>
  formatDateTime(new Date(Date.UTC(...args)))

const MACROS: Record<string, Macro> = {
  '@now': (n) => formatDateTime(n),
  '@yesterday': (n) => formatDateTime(new Date(n.getTime() - DAY_MS)),
  '@tomorrow': (n) => formatDateTime(new Date(n.getTime() + DAY_MS)),
  '@todayStart': (n) => utc(n.getUTCFullYear(), n.getUTCMonth(), n.getUTCDate()),
  '@todayEnd': (n) => utc(n.getUTCFullYear(), n.getUTCMonth(), n.getUTCDate(), 23, 59, 59, 999),
  '@monthStart': (n) => utc(n.getUTCFullYear(), n.getUTCMonth(), 1),
  // Day 0 of the next month is the last day of this one.
  '@monthEnd': (n) => utc(n.getUTCFullYear(), n.getUTCMonth() + 1, 0, 23, 59, 59, 999),
  '@yearStart': (n) => utc(n.getUTCFullYear(), 0, 1),
  '@yearEnd': (n) => utc(n.getUTCFullYear(), 11, 31, 23, 59, 59, 999),
  '@second': (n) => n.getUTCSeconds(),
  '@minute': (n) => n.getUTCMinutes(),
  '@hour': (n) => n.getUTCHours(),
  '@weekday': (n) => n.getUTCDay(),
  '@day': (n) => n.getUTCDate(),
  '@month': (n) => n.getUTCMonth() + 1,
  '@year': (n) => n.getUTCFullYear(),
}

/** The macro's value at `now`, or undefined when `name` is not a macro. */
export function macroValue(name: string, now: Date): string | number | undefined {
  return Object.hasOwn(MACROS, name) ? MACROS[name](now) : undefined
}

export const MACRO_NAMES = Object.keys(MACROS)
