// Topic parsing and POST /api/realtime body validation, including hostile inputs.
import { describe, expect, it } from 'vitest'
import { ApiError } from '../core/errors.ts'
import { MAX_TOPICS, parseSubscribeRequest, parseTopic } from './topics.ts'

const withOptions = (base: string, options: unknown) => `${base}?options=${encodeURIComponent(JSON.stringify(options))}`

function apiError(fn: () => unknown): ApiError {
  try {
    fn()
  } catch (err) {
    if (err instanceof ApiError) return err
    throw err
  }
  throw new Error('expected an ApiError')
}

describe('parseTopic', () => {
  it.each([
    ['posts/*', 'posts', null],
    ['posts', 'posts', null],
    ['pbc_123/*', 'pbc_123', null],
    ['posts/abc123', 'posts', 'abc123'],
  ])('%s -> collection %s, record %s', (raw, collection, recordId) => {
    expect(parseTopic(raw).topic).toEqual({ raw, collection, recordId, options: { query: {}, headers: {} } })
  })

  it('parses options the SDK sends and keeps raw untouched', () => {
    const raw = withOptions('posts/*', { query: { filter: 'status="active"', expand: 'author' } })
    const { topic } = parseTopic(raw)
    expect(topic?.raw).toBe(raw)
    expect(topic?.options).toEqual({ query: { filter: 'status="active"', expand: 'author' }, headers: {} })
  })

  it('normalizes header names to lower snake case', () => {
    const { topic } = parseTopic(withOptions('posts/x', { headers: { 'X-Custom-Token': 'abc', Accept: 'json' } }))
    expect(topic?.options.headers).toEqual({ x_custom_token: 'abc', accept: 'json' })
  })

  it('keeps string values, stringifies scalars like PocketBase, drops null/objects/arrays', () => {
    const { topic } = parseTopic(withOptions('posts', { query: { a: 'x', n: 1, b: true, z: null, o: { x: 1 }, l: [1] } }))
    expect(topic?.options.query).toEqual({ a: 'x', n: '1', b: 'true' })
  })

  it('ignores query params other than options and empty options', () => {
    expect(parseTopic('posts/*?foo=bar').topic?.options).toEqual({ query: {}, headers: {} })
    expect(parseTopic('posts/*?options=').topic?.options).toEqual({ query: {}, headers: {} })
  })

  it('does not let a __proto__ key pollute prototypes', () => {
    const { topic } = parseTopic(`posts?options=${encodeURIComponent('{"query":{"__proto__":"x","polluted":"y"}}')}`)
    expect(topic?.options.query.polluted).toBe('y')
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.getPrototypeOf(topic!.options.query)).toBe(Object.prototype)
  })

  it('accepts @oauth2 as a custom topic without collection', () => {
    expect(parseTopic('@oauth2').topic).toEqual({ raw: '@oauth2', collection: '', recordId: null, options: { query: {}, headers: {} } })
  })

  it.each([
    ['invalid JSON', 'posts?options=%7Bnope', 'validation_invalid_options'],
    ['JSON array', withOptions('posts', [1]), 'validation_invalid_options'],
    ['JSON string', withOptions('posts', 'x'), 'validation_invalid_options'],
    ['query not an object', withOptions('posts', { query: 'x' }), 'validation_invalid_options'],
    ['headers an array', withOptions('posts', { headers: ['a'] }), 'validation_invalid_options'],
    ['too long', 'posts/' + 'a'.repeat(2500), 'validation_length_too_long'],
    ['newline (SSE field injection)', 'posts/*\ndata:{"forged":true}', 'validation_invalid_topic'],
    ['carriage return', 'posts\r', 'validation_invalid_topic'],
    ['NUL', 'posts\u0000', 'validation_invalid_topic'],
    ['missing collection', '/abc', 'validation_invalid_topic'],
    ['empty record id', 'posts/', 'validation_invalid_topic'],
    ['nested path', 'posts/a/b', 'validation_invalid_topic'],
    ['bad custom topic', '@oauth2/x', 'validation_invalid_topic'],
    ['empty', '', 'validation_required'],
  ])('rejects %s', (_, raw, code) => {
    expect(parseTopic(raw).error?.code).toBe(code)
  })

  it('accepts a topic of exactly 2500 chars', () => {
    expect(parseTopic('p/' + 'a'.repeat(2498)).topic).toBeDefined()
  })
})

describe('parseSubscribeRequest', () => {
  it('returns deduplicated topics and skips empty strings', () => {
    const req = parseSubscribeRequest('c1', ['posts/*', '', 'posts/*', 'posts/a'])
    expect(req.clientId).toBe('c1')
    expect(req.topics.map((t) => t.raw)).toEqual(['posts/*', 'posts/a'])
  })

  it('treats missing subscriptions as "unsubscribe from everything"', () => {
    expect(parseSubscribeRequest('c1', undefined).topics).toEqual([])
  })

  it.each([
    [undefined, 'validation_required'],
    ['', 'validation_required'],
    [42, 'validation_required'],
    ['x'.repeat(256), 'validation_length_out_of_range'],
  ])('rejects clientId %j with 400 %s', (clientId, code) => {
    const err = apiError(() => parseSubscribeRequest(clientId, []))
    expect(err.status).toBe(400)
    expect(err.data).toEqual({ clientId: { code, message: expect.any(String) } })
  })

  it('rejects more than 1000 topics without parsing them', () => {
    const err = apiError(() => parseSubscribeRequest('c1', Array.from({ length: MAX_TOPICS + 1 }, (_, i) => `p/${i}`)))
    expect(err.status).toBe(400)
    expect(err.data).toEqual({ subscriptions: { code: 'validation_length_too_long', message: 'The length must be no more than 1000.' } })
    expect(parseSubscribeRequest('c1', Array.from({ length: MAX_TOPICS }, (_, i) => `p/${i}`)).topics).toHaveLength(1000)
  })

  it('reports per-index topic errors alongside clientId errors', () => {
    const err = apiError(() => parseSubscribeRequest('', ['posts/*', 'posts?options=%7B', 5]))
    expect(err.data).toEqual({
      clientId: { code: 'validation_required', message: 'Missing required value.' },
      subscriptions: {
        '1': { code: 'validation_invalid_options', message: expect.any(String) },
        '2': { code: 'validation_invalid_value', message: 'Must be a string.' },
      },
    })
  })

  it('rejects a non-list subscriptions value', () => {
    expect(apiError(() => parseSubscribeRequest('c1', 'posts/*')).data).toHaveProperty('subscriptions.code', 'validation_invalid_value')
  })
})
