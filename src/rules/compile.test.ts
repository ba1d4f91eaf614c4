// Compile tests: exact SQL text + params for representative filters (SQLite dialect).
import { describe, expect, it } from 'vitest'
import type { CompileOptions } from './resolve-context.ts'
import { compileFilter } from './index.ts'
import { guestRequest } from './request-info.ts'
import { authAs, options } from './test-schema.ts'

const CASES: [string, string, Partial<CompileOptions>, string, unknown[]][] = [
  ["posts", "title = \"x\"", {},
    "(\"r\".\"title\" = ?)",
    ["x"]],
  ["posts", "title = \"\"", {},
    "((\"r\".\"title\" = '' OR \"r\".\"title\" IS NULL))",
    []],
  ["posts", "title != null", {},
    "((\"r\".\"title\" IS NOT '' AND \"r\".\"title\" IS NOT NULL))",
    []],
  ["posts", "null = title", {},
    "((\"r\".\"title\" = '' OR \"r\".\"title\" IS NULL))",
    []],
  ["posts", "title = status", {},
    "(COALESCE(\"r\".\"title\", '') = COALESCE(\"r\".\"status\", ''))",
    []],
  ["posts", "title != status", {},
    "(COALESCE(\"r\".\"title\", '') IS NOT COALESCE(\"r\".\"status\", ''))",
    []],
  ["posts", "\"\" = null", {},
    "('' = '')",
    []],
  ["posts", "views != 5", {},
    "(\"r\".\"views\" IS NOT ?)",
    [5]],
  ["posts", "views > 5 && published = true || title < \"m\"", {},
    "(((\"r\".\"views\" > ? AND \"r\".\"published\" = ?) OR \"r\".\"title\" < ?))",
    [5,1,"m"]],
  ["posts", "title ~ \"50%_off\"", {},
    "(\"r\".\"title\" LIKE ? ESCAPE '\\')",
    ["50%_off"]],
  ["posts", "title ~ \"50_off\"", {},
    "(\"r\".\"title\" LIKE ? ESCAPE '\\')",
    ["%50\\_off%"]],
  ["posts", "title !~ \"a\\\\%b\"", {},
    "(\"r\".\"title\" NOT LIKE ? ESCAPE '\\')",
    ["a\\\\%b"]],
  ["posts", "title ~ status", {},
    "(\"r\".\"title\" LIKE ('%' || \"r\".\"status\" || '%') ESCAPE '\\')",
    []],
  ["posts", "tags ?= \"t1\"", {},
    "(EXISTS (SELECT 1 FROM (SELECT 1) AS \"__d2\" LEFT JOIN json_each(CASE WHEN json_valid(\"r\".\"tags\") AND json_type(\"r\".\"tags\") = 'array' THEN \"r\".\"tags\" ELSE '[]' END) AS \"__j1\" ON 1=1 WHERE \"__j1\".value = ?))",
    ["t1"]],
  ["posts", "labels = \"a\"", {},
    "((EXISTS (SELECT 1 FROM (SELECT 1) AS \"__d2\" LEFT JOIN json_each(CASE WHEN json_valid(\"r\".\"labels\") AND json_type(\"r\".\"labels\") = 'array' THEN \"r\".\"labels\" ELSE '[]' END) AS \"__j1\" ON 1=1 WHERE \"__j1\".value = ?) AND NOT EXISTS (SELECT 1 FROM (SELECT 1) AS \"__d4\" LEFT JOIN json_each(CASE WHEN json_valid(\"r\".\"labels\") AND json_type(\"r\".\"labels\") = 'array' THEN \"r\".\"labels\" ELSE '[]' END) AS \"__j3\" ON 1=1 WHERE NOT (\"__j3\".value = ?))))",
    ["a","a"]],
  ["posts", "labels:length >= 2", {},
    "((CASE WHEN json_valid(\"r\".\"labels\") AND json_type(\"r\".\"labels\") = 'array' THEN json_array_length(\"r\".\"labels\") ELSE 0 END) >= ?)",
    [2]],
  ["posts", "owner.name = \"A\"", {},
    "(EXISTS (SELECT 1 FROM (SELECT 1) AS \"__d2\" LEFT JOIN \"users\" AS \"__t1\" ON \"__t1\".\"id\" = \"r\".\"owner\" WHERE \"__t1\".\"name\" = ?))",
    ["A"]],
  ["posts", "owner.id = \"u1\"", {},
    "(\"r\".\"owner\" = ?)",
    ["u1"]],
  ["posts", "data.items.0.x = 1", {},
    "((CASE WHEN json_valid(\"r\".\"data\") THEN json_extract(\"r\".\"data\", ?) ELSE NULL END) IS ?)",
    ["$.\"items\"[0].\"x\"",1]],
  ["posts", "@request.auth.id != \"\"", {},
    "('' IS NOT '')",
    []],
  ["posts", "owner = @request.auth.id", { request: authAs('u1') },
    "(\"r\".\"owner\" = ?)",
    ["u1"]],
  ["posts", "comments_via_post.author ?= @request.auth.id", { request: authAs('u1') },
    "(EXISTS (SELECT 1 FROM (SELECT 1) AS \"__d2\" LEFT JOIN \"comments\" AS \"__b1\" ON \"__b1\".\"post\" = \"r\".\"id\" WHERE \"__b1\".\"author\" = ?))",
    ["u1"]],
  ["posts", "@collection.memberships.user ?= @request.auth.id && @collection.memberships.team ?= owner.team", { request: authAs('u1') },
    "(EXISTS (SELECT 1 FROM (SELECT 1) AS \"__d4\" LEFT JOIN \"memberships\" AS \"__c1\" ON 1=1 WHERE ((\"__c1\".\"user\" = ?) AND (EXISTS (SELECT 1 FROM (SELECT 1) AS \"__d3\" LEFT JOIN \"users\" AS \"__t2\" ON \"__t2\".\"id\" = \"r\".\"owner\" WHERE COALESCE(\"__c1\".\"team\", '') = COALESCE(\"__t2\".\"team\", ''))))))",
    ["u1"]],
  ["users", "email = \"a@x.io\"", { restricted: true },
    "(((\"r\".\"email\" = ?) AND (\"r\".\"emailVisibility\" = 1)))",
    ["a@x.io"]],
  ["posts", "tags.name ?= \"news\"", { restricted: true },
    "(EXISTS (SELECT 1 FROM (SELECT 1) AS \"__d3\" LEFT JOIN json_each(CASE WHEN json_valid(\"r\".\"tags\") AND json_type(\"r\".\"tags\") = 'array' THEN \"r\".\"tags\" ELSE '[]' END) AS \"__j1\" ON 1=1 LEFT JOIN \"tags\" AS \"__t2\" ON ((\"__t2\".\"id\" = \"__j1\".value) AND (\"__t2\".\"hidden_tag\" = ?)) WHERE \"__t2\".\"name\" = ?))",
    [0,"news"]],
  ["posts", "@request.body.title:changed = false", { request: guestRequest({ body: { title: 'new' } }) },
    "((CASE WHEN COALESCE(?, '') IS NOT COALESCE(\"r\".\"title\", '') THEN 1 ELSE 0 END) IS ?)",
    ["new",0]],
  ["posts", "created >= @todayStart && @hour > 3", {},
    "((\"r\".\"created\" >= ? AND ? > ?))",
    ["2024-05-01 00:00:00.000Z",12,3]],
  ["posts", "title:lower = @request.query.q:lower", { request: guestRequest({ query: { q: 'ABC' } }) },
    "(LOWER(\"r\".\"title\") = LOWER(?))",
    ["ABC"]],
  ["posts", "strftime('%Y-%m', created) = '2024-06'", {},
    "(COALESCE(strftime(?, \"r\".\"created\"), '') = ?)",
    ["%Y-%m","2024-06"]],

]

describe('compileFilter pinned SQL', () => {
  it.each(CASES)('%s: %s', (collection, filter, opts, expectedSql, expectedParams) => {
    const { sql, params } = compileFilter(filter, options(collection, opts)).render()
    expect(sql).toBe(expectedSql)
    expect(params).toEqual(expectedParams)
  })

  it('renders with dialect placeholders and never inlines values', () => {
    const { sql, params } = compileFilter(`title = "x' OR 1=1 --" && views > 3`, options('posts')).render((i) => `$${i + 1}`)
    expect(sql).toBe('(("r"."title" = $1 AND "r"."views" > $2))')
    expect(params).toEqual(["x' OR 1=1 --", 3])
  })

  it('generates unique aliases across nested subqueries and listRules', () => {
    const { sql } = compileFilter('tags.name = "a" && comments_via_post.post.tags.name ?= "b"', options('posts', { restricted: true })).render()
    const aliases = [...sql.matchAll(/AS "(__[a-z]\d+)"/g)].map((m) => m[1])
    expect(aliases.length).toBeGreaterThan(5)
    expect(new Set(aliases).size).toBe(aliases.length)
  })
})
