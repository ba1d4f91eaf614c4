import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ErrorCode } from './error-codes.ts'

const root = path.resolve(import.meta.dirname, '../..')

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) return sourceFiles(p)
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [p] : []
  })
}

describe('ErrorCode', () => {
  const codes = Object.values(ErrorCode)

  it('each constant is a distinct validation_ code named after itself', () => {
    expect(new Set(codes).size).toBe(codes.length)
    for (const [name, code] of Object.entries(ErrorCode)) {
      expect(code).toMatch(/^validation_[a-z0-9_]+$/)
      expect(code.replace(/^validation_/, '').replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())).toBe(name)
    }
  })

  it('every code is documented in docs/errors.md', () => {
    const doc = fs.readFileSync(path.join(root, 'docs/errors.md'), 'utf8')
    expect(codes.filter((code) => !doc.includes(`\`${code}\``))).toEqual([])
  })

  it('no module outside error-codes.ts spells a validation code as a string literal', () => {
    const offenders = sourceFiles(path.join(root, 'src'))
      .filter((f) => !f.endsWith(`${path.sep}error-codes.ts`))
      .flatMap((f) => (fs.readFileSync(f, 'utf8').match(/['"]validation_[a-z0-9_]+['"]/g) ?? []).map((m) => `${path.relative(root, f)}: ${m}`))
    expect(offenders).toEqual([])
  })
})
