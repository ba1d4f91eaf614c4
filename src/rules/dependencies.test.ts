import { describe, expect, it } from 'vitest'
import { ruleDependencies } from './dependencies.ts'

describe('ruleDependencies', () => {
  it.each([
    ['@request.auth.id != ""', { body: false, record: false }],
    ['@request.auth.verified = true && @request.headers.x_token = "a" && @request.method = "POST"', { body: false, record: false }],
    ['@collection.members.user ?= @request.auth.id && created > @now', { body: false, record: true }],
    ['@request.auth.id = owner', { body: false, record: true }],
    ['@request.body.title:isset = false', { body: true, record: false }],
    ['geoDistance(@request.body.lon, 1, 2, 3) < 5', { body: true, record: false }],
    ['owner.team_via_members.id ?= @request.auth.team', { body: false, record: true }],
    ['(((', { body: true, record: true }],
  ])('%s', (expr, deps) => {
    expect(ruleDependencies(expr)).toEqual(deps)
  })
  it('a field named like a literal is a field', () => {
    expect(ruleDependencies('true = 1', (n) => n === 'true').record).toBe(true)
  })
})
