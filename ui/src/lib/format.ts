// Plain-text rendering of record values for tables and previews. Svelte escapes `{text}`, so this never builds HTML.
export function cellText(value: unknown, max = 120): string {
  if (value === null || value === undefined) return ''
  let s: string
  if (Array.isArray(value)) s = value.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(', ')
  else if (typeof value === 'object') s = JSON.stringify(value)
  else s = String(value)
  return s.length > max ? s.slice(0, max - 1) + '…' : s
}

/** `2024-05-01 10:20:30.000Z` ↔ the `datetime-local` input's `2024-05-01T10:20` (shown and edited as UTC). */
export const toLocalInput = (v: unknown) => (typeof v === 'string' && v ? v.slice(0, 16).replace(' ', 'T') : '')
export const fromLocalInput = (v: string) => (v ? `${v.replace('T', ' ')}:00.000Z` : '')
