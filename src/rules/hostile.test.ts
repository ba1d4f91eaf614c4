// Hostile inputs: injection attempts, unknown names, limits and token fuzzing -> RuleError or safe SQL, never crashes.
import { describe, expect, it } from 'vitest'
import { MAX_EXPRESSIONS, RuleError } from './errors.ts'
import { compileFilter, validateRule } from './index.ts'
import { guestRequest } from './request-info.ts'
import { authAs, buildSchema, options, seededDb } from './test-schema.ts'

const db = seededDb()

function run(filter: string, collection = 'posts', opts = {}): string[] {
  const { sql, params } = compileFilter(filter, options(collection, opts)).render()
  const rows = db.prepare(`SELECT "r"."id" AS id FROM "${collection}" AS "r" WHERE ${sql}`).all(...params)
  return (rows as { id: string }[]).map((r) => r.id)
}

describe('hostile filters', () => {
  it.each([
    `title = "a') OR 1=1 --"`,
    `title = 'x" OR "1"="1'`,
    `title ~ "%' OR 1=1 --"`,
    `title = "\\" OR 1=1 --"`,
    `created > '9999-99-99' || created > 'now()'`,
    `data.theme = "'); DROP TABLE posts; --"`,
  ])('binds literal %j as data', (filter) => {
    expect(run(filter)).toEqual([])
    expect(db.prepare('SELECT count(*) AS n FROM posts').get()).toEqual({ n: 4 })
  })

  it('binds hostile @request values as data', () => {
    const request = guestRequest({ body: { title: "' OR 1=1 --", tags: ['") OR 1=1 --'] }, query: { q: '%' }, headers: { h: '\\' } })
    expect(run('title = @request.body.title || tags ?= @request.body.tags || title = @request.headers.h', 'posts', { request })).toEqual([])
  })

  it.each([
    [`title"=1 OR "1"="1'`, /unterminated text/],
    ['title = 1; DROP TABLE posts', /unexpected character/],
    ['title = 1 -- comment', /unexpected character|expected an operand/],
    ['title = 1 /* x */', /unexpected character/],
    ['unknown = 1', /unknown field "unknown"/],
    ['owner.unknown = 1', /unknown field "unknown" in collection "users"/],
    ['title.x = 1', /not a relation/],
    ['owner..name = 1', /empty path segment/],
    ['@collection.nope.x = 1', /unknown collection/],
    ['@collection.posts = 1', /needs a field path/],
    ['@collection.posts:a-b.id = 1', /unexpected character|invalid/],
    ['@request.nope = 1', /unknown identifier "@request.nope"/],
    ['@request.body = 1', /needs a key/],
    ['@request.query.a.b = 1', /exactly one key/],
    ['@request.method.x = 1', /no sub-keys/],
    ['@request.query.a:changed = 1', /:changed modifier is only allowed/],
    ['@request.body.nope:changed = 1', /:changed needs a field/],
    ['@nowx = 1', /unknown identifier "@nowx"/],
    ['@random = 1', /unknown identifier/],
    ['title:bogus = 1', /unknown modifier ":bogus"/],
    ['title:lower:each = 1', /unknown modifier/],
    ['owner:lower.name = 1', /modifiers go on the last segment/],
    ['title:each = "x"', /requires a multi-valued field/],
    ['title:length = 1', /requires a multi-valued field/],
    ['title:isset = true', /only allowed on @request/],
    ['comments_via_post:length = 1', /not supported on back-relation/],
    ['comments_via_nope.x = 1', /unknown field/],
    ['ümlaut = 1', /unknown field/],
    ['geoDistance(1, 2, 3, 4) < 5', /not supported/],
    ['evil(title) = 1', /unknown function/],
    ['strftime(title) = 1', /text format/],
    ['strftime("%Y", created, views) = 1', /modifiers must be text/],
    ['owner.team.owner.team.owner.team.owner.name = "x"', /too deep \(max 6/],
    ['comments_via_post.post.comments_via_post.post.comments_via_post.post.comments_via_post.id = 1', /too deep/],
    ['title = "x" && ' + 'a'.repeat(3500), /too long/],
    [Array.from({ length: MAX_EXPRESSIONS + 1 }, () => 'title = "x"').join(' || '), /too many comparisons/],
    ['('.repeat(100_000) + 'a=1' + ')'.repeat(100_000), /too long/],
    ['('.repeat(40) + 'a=1' + ')'.repeat(40), /nested deeper/],
    ['', /empty/],
    ['verified', /expected an operator/],
  ])('%j -> RuleError', (filter, message) => {
    expect(() => run(filter)).toThrow(RuleError)
    expect(() => run(filter)).toThrow(message)
  })

  it('compiles and runs the maximum number of multi-valued comparisons quickly', () => {
    const filter = Array.from({ length: MAX_EXPRESSIONS }, (_, i) => (i % 2 ? 'tags.name?="n"' : 'tags.name="x"')).join('||')
    const t = Date.now()
    expect(run(filter, 'posts', { restricted: true })).toEqual([])
    expect(Date.now() - t).toBeLessThan(2000)
  })

  it('stops listRule amplification with a complexity limit instead of building huge SQL', () => {
    const { schema, byName } = buildSchema()
    byName.posts.listRule = Array.from({ length: 200 }, () => 'tags.name?="a"').join('||')
    const filter = Array.from({ length: 200 }, () => 'post.title="x"').join('||')
    const opts = { ...options('comments'), schema, collection: byName.comments, restricted: true }
    const t = Date.now()
    expect(() => compileFilter(filter, opts)).toThrow(/too complex/)
    expect(Date.now() - t).toBeLessThan(1000)
  })

  it('rejects numbers that do not fit a double', () => {
    expect(() => run(`views > ${'9'.repeat(400)}`)).toThrow(/number out of range/)
  })

  it('survives token-soup fuzzing: every input is a RuleError or valid SQL', () => {
    const vocab = ['title', 'tags.name', 'owner.team.name', 'labels:each', 'data.a.0', '@request.auth.id', '@request.body.x', '@now',
      '@collection.memberships:m.user', 'comments_via_post.message', '"x"', "'%'", '1', '-2.5', 'null', 'true', '=', '!=', '?=', '~', '?!~',
      '<', '>=', '&&', '||', '(', ')', ',', 'strftime(', '//', '\n', '"', '\\', ';', '@', '.', ':lower', ':length', ' ']
    let seed = 42
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n)
    let compiled = 0
    for (let i = 0; i < 3000; i++) {
      const len = 1 + rand(12)
      const filter = Array.from({ length: len }, () => vocab[rand(vocab.length)]).join(rand(2) ? ' ' : '')
      try {
        run(filter, 'posts', { request: authAs('u1') })
        compiled++
      } catch (e) {
        if (!(e instanceof RuleError)) throw new Error(`${JSON.stringify(filter)} crashed: ${(e as Error).message}`)
      }
    }
    expect(compiled).toBeGreaterThan(0)
  })
})

describe('validateRule', () => {
  const { schema, byName } = buildSchema()
  it.each([
    ['', null],
    ['owner = @request.auth.id', null],
    ['@request.auth.team.owner = owner && @request.body.role:isset = false', null],
    ['secret = "x"', null],
    ['vault.code = "x"', null],
    ['@collection.memberships.user ?= @request.auth.id', null],
    ['owner.nope = 1', 'unknown field "nope" in collection "users"'],
    ['owner =', 'invalid or incomplete filter expression: expected an operand at end of input'],
  ])('%j -> %j', (rule, expected) => {
    expect(validateRule(rule, schema, byName.posts)).toBe(expected)
  })
})
