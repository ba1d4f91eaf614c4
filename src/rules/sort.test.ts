// Sort tests: pinned ORDER BY SQL, real ordering on SQLite, limits and rejected terms.
import { describe, expect, it } from 'vitest'
import { MAX_SORT_TERMS, RuleError } from './errors.ts'
import type { CompileOptions } from './resolve-context.ts'
import { compileSort } from './index.ts'
import { sql } from '../store/sql.ts'
import { describeEngines, type Engine } from './test-engines.ts'
import { authAs, options } from './test-schema.ts'

async function order(engine: Engine, sort: string, opts: Partial<CompileOptions> = {}, collection = 'posts'): Promise<string[]> {
  const by = compileSort(sort, options(collection, { dialect: engine.dialect, ...opts }))
  const rows = await engine.all<{ id: string }>(sql`SELECT "r"."id" AS id FROM ${sql.raw(`"${collection}"`)} AS "r" ORDER BY ${by}, "r"."id"`)
  return rows.map((r) => r.id)
}

describe('compileSort', () => {
  it.each([
    ['-created,title', '"r"."created" DESC, "r"."title" ASC'],
    ['+views', '"r"."views" ASC'],
    [' title , , -id ', '"r"."title" ASC, "r"."id" DESC'],
    ['-@rowid', '"r"._rowid_ DESC'],
    ['@random', 'RANDOM()'],
    ['labels', '"r"."labels" ASC'],
    ['labels:length', '(CASE WHEN json_valid("r"."labels") AND json_type("r"."labels") = \'array\' THEN json_array_length("r"."labels") ELSE 0 END) ASC'],
    ['owner.name', '(SELECT "__t1"."name" FROM (SELECT 1) AS "__d2" LEFT JOIN "users" AS "__t1" ON "__t1"."id" = "r"."owner" LIMIT 1) ASC'],
  ])('%j -> %s', (sort, expected) => {
    expect(compileSort(sort, options('posts')).render()).toEqual({ sql: expected, params: [] })
  })

  it('is empty for a blank sort', () => {
    expect(compileSort('  ', options('posts')).isEmpty).toBe(true)
  })

  it('is empty for a blank sort (placeholder)', () => {
    expect(compileSort('', options('posts')).isEmpty).toBe(true)
  })
})

describeEngines('compileSort ordering', (engine) => {
  it.each([
    ['-views', ['p4', 'p1', 'p2', 'p3']],
    ['views', ['p3', 'p2', 'p1', 'p4']],
    ['-owner.name,id', ['p2', 'p1', 'p4', 'p3']],
    ['-owner.team.name,-views', ['p1', 'p2', 'p4', 'p3']],
    ['-@rowid', ['p4', 'p3', 'p2', 'p1']],
    ['data.theme,-views', ['p3', 'p4', 'p1', 'p2']],
    ['-data.theme,views', ['p2', 'p1', 'p4', 'p3']],
    ['data.items.1.x,id', ['p2', 'p3', 'p4', 'p1']],
    ['title', ['p3', 'p2', 'p1', 'p4']],
    ['-title:lower', ['p4', 'p1', 'p2', 'p3']],
    ['owner.name,id', ['p3', 'p4', 'p1', 'p2']],
    ['-owner.name,id', ['p2', 'p1', 'p4', 'p3']],
    ['labels,id', ['p1', 'p2', 'p4', 'p3']],
    ['-labels:length,id', ['p1', 'p2', 'p4', 'p3']],
    ['published,-created', ['p3', 'p2', 'p4', 'p1']],
    ['@rowid', ['p1', 'p2', 'p3', 'p4']],
  ])('orders %j', async (sort, expected) => {
    expect(await order(engine(), sort)).toEqual(expected)
  })

  it('runs @random', async () => {
    expect((await order(engine(), '@random')).sort()).toEqual(['p1', 'p2', 'p3', 'p4'])
  })

  it('hides non-public emails in restricted sorts instead of leaking their order', async () => {
    const { sql } = compileSort('owner.email', options('posts', { restricted: true, dialect: engine().dialect })).render()
    expect(sql).toContain('CASE WHEN')
    expect(await order(engine(), '-owner.email,id', { restricted: true })).toEqual(['p4', 'p1', 'p2', 'p3'])
    expect(await order(engine(), '-owner.email,id', { restricted: true, request: authAs('u2') })).toEqual(['p4', 'p2', 'p1', 'p3'])
  })
})

describe('compileSort limits', () => {

  it.each([
    [Array.from({ length: MAX_SORT_TERMS + 1 }, () => 'id').join(','), /too many sort fields/],
    ['x'.repeat(256), /too long/],
    ['unknown', /unknown field/],
    ['tags.name', /not a single-valued/],
    ['comments_via_post.message', /not a single-valued/],
    ['-(SELECT 1)', /invalid sort field/],
    ['title;DROP TABLE posts', /invalid sort field/],
    ['title DESC', /invalid sort field/],
    ['"title"', /invalid sort field/],
    ['@now', /cannot sort/],
    ['@request.auth.id', /cannot sort/],
    ['@collection.tags.name', /cannot sort/],
    ['title:bogus', /unknown modifier/],
    ['owner.team.owner.team.owner.team.owner.team', /too deep/],
  ])('rejects %j', (sort, message) => {
    expect(() => compileSort(sort, options('posts'))).toThrow(RuleError)
    expect(() => compileSort(sort, options('posts'))).toThrow(message)
  })

  it.each([['secret'], ['owner.tokenKey'], ['vault.code']])('rejects %j in restricted mode', (sort) => {
    expect(() => compileSort(sort, options('posts', { restricted: true }))).toThrow(RuleError)
    expect(() => compileSort(sort, options('posts'))).not.toThrow()
  })
})
