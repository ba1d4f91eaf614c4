// The `fields` query parameter: narrows any JSON response to the listed (dot-path) keys; `:excerpt(n,ellipsis)`.
import { badRequest } from '../errors.ts'

interface Excerpt { max: number; ellipsis: boolean }
interface PickNode { children: Map<string, PickNode>; excerpt?: Excerpt; leaf: boolean }

const MAX_FIELDS_LENGTH = 4000
const MAX_PATH_DEPTH = 12

const newNode = (): PickNode => ({ children: new Map(), leaf: false })

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = []
  let depth = 0
  let current = ''
  for (const ch of text) {
    if (ch === '(') depth++
    if (ch === ')') depth = Math.max(0, depth - 1)
    if (ch === ',' && depth === 0) { parts.push(current); current = ''; continue }
    current += ch
  }
  parts.push(current)
  return parts.map((p) => p.trim()).filter(Boolean)
}

const EXCERPT = /^(.*):excerpt\(\s*(\d+)\s*(?:,\s*(true|false|1|0)\s*)?\)$/

export function parseFields(text: string | undefined): PickNode | null {
  if (!text || !text.trim()) return null
  if (text.length > MAX_FIELDS_LENGTH) throw badRequest('The fields parameter is too long.')
  const root = newNode()
  for (let part of splitTopLevel(text)) {
    let excerpt: Excerpt | undefined
    const m = EXCERPT.exec(part)
    if (m) {
      part = m[1]
      excerpt = { max: Math.min(Number(m[2]), 100000), ellipsis: m[3] === 'true' || m[3] === '1' }
    } else if (part.includes(':') || part.includes('(')) {
      throw badRequest(`Invalid fields modifier in ${JSON.stringify(part.slice(0, 50))}.`)
    }
    const path = part.split('.')
    if (path.length > MAX_PATH_DEPTH || path.some((s) => !s)) throw badRequest('Invalid fields path.')
    let node = root
    for (const seg of path) {
      if (!node.children.has(seg)) node.children.set(seg, newNode())
      node = node.children.get(seg)!
    }
    node.leaf = true
    if (excerpt) node.excerpt = excerpt
  }
  return root
}

export function pickFields(value: unknown, node: PickNode | null): unknown {
  if (!node) return value
  if (Array.isArray(value)) return value.map((v) => pickFields(v, node))
  if (!value || typeof value !== 'object') return value
  const src = value as Record<string, unknown>
  const out: Record<string, unknown> = {}
  const star = node.children.get('*')
  if (star) for (const k of Object.keys(src)) out[k] = src[k]
  for (const [key, child] of node.children) {
    if (key === '*' || !Object.prototype.hasOwnProperty.call(src, key)) continue
    out[key] = applyNode(src[key], child)
  }
  return out
}

function applyNode(value: unknown, node: PickNode): unknown {
  if (node.excerpt && typeof value === 'string') return excerpt(value, node.excerpt)
  if (node.children.size === 0) return value
  return pickFields(value, node)
}

/** Plain-text excerpt of (possibly HTML) text. Linear-time: no backtracking regexes. */
export function excerpt(html: string, opts: Excerpt): string {
  let text = ''
  let inTag = false
  for (const ch of html) {
    if (ch === '<') { inTag = true; text += ' '; continue }
    if (ch === '>') { inTag = false; continue }
    if (!inTag) text += ch
  }
  text = text.replace(/\s+/g, ' ').trim()
  const chars = [...text]
  if (chars.length <= opts.max) return text
  return chars.slice(0, opts.max).join('').trimEnd() + (opts.ellipsis ? '...' : '')
}
