// Finds NUL (U+0000) in request values: the one character neither store may receive (see src/http/nul-guard.ts).

/**
 * The first key path (`title`, `meta.tags.2`) whose string value or object key contains NUL, else null.
 * Iterative, so a deeply nested value cannot overflow the stack.
 */
export function findNul(value: unknown): string | null {
  const stack: [unknown, string][] = [[value, '']]
  while (stack.length) {
    const [v, path] = stack.pop()!
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return path
      continue
    }
    if (!v || typeof v !== 'object') continue
    for (const [k, child] of Object.entries(v as object)) {
      const childPath = path ? `${path}.${k}` : k
      if (k.includes('\u0000')) return childPath
      stack.push([child, childPath])
    }
  }
  return null
}
