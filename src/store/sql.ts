// Sql: a composable SQL fragment whose values are always bound parameters (never concatenated).

export type SqlValue = string | number | bigint | boolean | null | Buffer

type Chunk = { raw: string } | { value: SqlValue }

export class Sql {
  constructor(readonly chunks: readonly Chunk[]) {}

  /** Renders to text + params; `placeholder(i)` spells the i-th (0-based) parameter. */
  render(placeholder: (index: number) => string = () => '?'): { sql: string; params: SqlValue[] } {
    let text = ''
    const params: SqlValue[] = []
    for (const c of this.chunks) {
      if ('raw' in c) text += c.raw
      else {
        text += placeholder(params.length)
        params.push(c.value)
      }
    }
    return { sql: text, params }
  }

  get isEmpty(): boolean {
    return this.chunks.every((c) => 'raw' in c && c.raw.trim() === '')
  }
}

type Part = Sql | SqlValue | undefined

function toChunks(part: Part): Chunk[] {
  if (part instanceof Sql) return [...part.chunks]
  if (part === undefined) return []
  if (typeof part === 'boolean') return [{ value: part ? 1 : 0 }]
  return [{ value: part }]
}

/**
 * Tagged template: interpolated `Sql` fragments are inlined, every other value becomes a
 * bound parameter. `sql\`x = ${v}\`` can never inject, whatever `v` holds.
 */
export function sql(strings: TemplateStringsArray, ...parts: Part[]): Sql {
  const chunks: Chunk[] = []
  strings.forEach((s, i) => {
    if (s) chunks.push({ raw: s })
    if (i < parts.length) chunks.push(...toChunks(parts[i]))
  })
  return new Sql(chunks)
}

/** Trusted SQL text (identifiers already quoted, keywords). Never pass user input here. */
sql.raw = (text: string): Sql => new Sql([{ raw: text }])

/** A bound parameter. */
sql.value = (value: SqlValue): Sql => new Sql(toChunks(value))

/** Joins fragments with a separator (default `, `). */
sql.join = (parts: readonly Sql[], separator = ', '): Sql => {
  const chunks: Chunk[] = []
  parts.forEach((p, i) => {
    if (i > 0) chunks.push({ raw: separator })
    chunks.push(...p.chunks)
  })
  return new Sql(chunks)
}

sql.empty = new Sql([])
