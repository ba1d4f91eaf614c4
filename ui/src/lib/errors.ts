// The server's `{message, data}` from an SDK error, with nested field errors flattened to dotted keys.
export interface ApiErrorShape { status?: number; message?: string; data?: Record<string, unknown> }

/** ClientResponseError keeps the response body in `response`. */
export function errorOf(err: unknown): { message: string; fields: Record<string, string> } {
  const e = err as { response?: ApiErrorShape; message?: string } | null
  const body = e?.response ?? {}
  const fields: Record<string, string> = {}
  flatten(body.data ?? {}, '', fields, 0)
  return { message: body.message || e?.message || 'The request failed.', fields }
}

/** `{fields: {0: {name: {message}}}}` → `{'fields.0.name': message}`, so nested schema errors show per field. */
function flatten(data: Record<string, unknown>, prefix: string, out: Record<string, string>, depth: number) {
  if (depth > 8) return // a hostile or odd body cannot recurse forever
  for (const [k, v] of Object.entries(data)) {
    if (!v || typeof v !== 'object') continue
    const o = v as Record<string, unknown>
    if (typeof o.message === 'string') out[prefix + k] = o.message
    else flatten(o, `${prefix}${k}.`, out, depth + 1)
  }
}
