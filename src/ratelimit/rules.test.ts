// Rule lookup: PocketBase's label order, prefix rules, audiences, route tags and counter keys.
import { describe, expect, it } from 'vitest'
import type { RateLimitRule } from '../settings/settings.ts'
import { audiencesFor, findRule, routeTags, ruleKey, searchLabels } from './rules.ts'

const rule = (label: string, audience: RateLimitRule['audience'] = '', maxRequests = 1, duration = 1): RateLimitRule => ({ label, audience, maxRequests, duration })
const labels = (method: string, path: string, collection?: string, pattern?: string) =>
  searchLabels(method, path, collection, routeTags(method, pattern) ?? [])

describe('findRule', () => {
  const rules = [rule('/api/'), rule('POST /api/collections/posts/records'), rule('*:create'), rule('posts:create'), rule('/api/health'), rule('*:auth')]

  it.each([
    ['POST', '/api/collections/posts/records', 'posts', '/api/collections/:collection/records', 'posts:create'],
    ['POST', '/api/collections/tags/records', 'tags', '/api/collections/:collection/records', '*:create'],
    ['POST', '/api/collections/users/auth-with-password', 'users', '/api/collections/:collection/auth-with-password', '*:auth'],
    ['GET', '/api/health', undefined, '/api/health', '/api/health'],
    ['GET', '/api/collections/posts/records', 'posts', '/api/collections/:collection/records', '/api/'],
  ])('%s %s → %s', (method, path, collection, pattern, expected) => {
    expect(findRule(rules, labels(method, path, collection, pattern), audiencesFor(false))?.label).toBe(expected)
  })

  it('METHOD /path beats /path; an exact label beats a prefix', () => {
    const r = [rule('/api/x'), rule('GET /api/x'), rule('/api/')]
    expect(findRule(r, searchLabels('GET', '/api/x'), ['', '@guest'])?.label).toBe('GET /api/x')
    expect(findRule(r, searchLabels('POST', '/api/x'), ['', '@guest'])?.label).toBe('/api/x')
  })

  it('a METHOD prefix rule covers that method only; `/api/` covers /api itself', () => {
    const r = [rule('POST /api/'), rule('/other/')]
    expect(findRule(r, searchLabels('POST', '/api/a/b'), [''])?.label).toBe('POST /api/')
    expect(findRule(r, searchLabels('GET', '/api/a/b'), [''])).toBeNull()
    expect(findRule([rule('/api/')], searchLabels('GET', '/api'), [''])?.label).toBe('/api/')
  })

  it('audience: @guest rules skip authenticated callers and @auth rules skip guests', () => {
    const r = [rule('*:list', '@guest', 1), rule('*:list', '@auth', 2)]
    const l = labels('GET', '/api/collections/p/records', 'p', '/api/collections/:collection/records')
    expect(findRule(r, l, audiencesFor(false))?.maxRequests).toBe(1)
    expect(findRule(r, l, audiencesFor(true))?.maxRequests).toBe(2)
  })
})

describe('routeTags', () => {
  it('maps routes to PocketBase tags (specific tag first)', () => {
    expect(routeTags('POST', '/api/collections/:collection/auth-with-password')).toEqual(['authWithPassword', 'auth'])
    expect(routeTags('POST', '/api/collections/:collection/request-otp')).toEqual(['requestOTP'])
    expect(routeTags('DELETE', '/api/collections/:collection/records/:id')).toEqual(['delete'])
    expect(routeTags('GET', '/api/files/:collection/:record/:filename')).toEqual(['file'])
    expect(routeTags('GET', '/api/health')).toBeNull()
    expect(routeTags('GET', undefined)).toBeNull()
  })
})

describe('ruleKey (L7: only server-side values and the IP)', () => {
  it('collection rules count per collection and route; path rules per IP only; edits start fresh', () => {
    const r = rule('*:create', '', 5, 10)
    const a = ruleKey(r, '1.2.3.4', { collectionId: 'c1', route: 'POST /x' })
    expect(a).not.toBe(ruleKey(r, '1.2.3.4', { collectionId: 'c2', route: 'POST /x' }))
    expect(a).not.toBe(ruleKey({ ...r, maxRequests: 6 }, '1.2.3.4', { collectionId: 'c1', route: 'POST /x' }))
    expect(ruleKey(rule('/api/'), '1.2.3.4', { collectionId: 'c1', route: 'POST /x' })).toBe(ruleKey(rule('/api/'), '1.2.3.4'))
  })
})
