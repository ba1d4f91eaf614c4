// The error handler's backstop: PostgreSQL refusing a NUL is a 400, never a 500 (the NUL guard should stop it first).
import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import { registerErrorHandler } from './error-handler.ts'

function serverThrowing(err: unknown) {
  const f = Fastify()
  registerErrorHandler(f)
  f.get('/x', async () => { throw err })
  return f
}

describe('error handler: NUL rejected by PostgreSQL', () => {
  it.each([
    ['text (22021)', Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' })],
    ['jsonb (22P05)', Object.assign(new Error('unsupported Unicode escape sequence'), { code: '22P05', detail: '\\u0000 cannot be converted to text.' })],
  ])('%s answers 400 without the driver text', async (_what, err) => {
    const res = await serverThrowing(err).inject({ method: 'GET', url: '/x' })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toEqual({ status: 400, message: 'Text values must not contain NUL (\\u0000) characters.', data: {} })
  })

  it('another encoding error stays a 500', async () => {
    const res = await serverThrowing(Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0xff'), { code: '22021' })).inject({ method: 'GET', url: '/x' })
    expect(res.statusCode).toBe(500)
  })
})

describe('error handler: errors without a cause', () => {
  it('a Fastify error with no cause is mapped, not crashed on (unsupported Content-Type)', async () => {
    const f = Fastify()
    registerErrorHandler(f)
    f.removeContentTypeParser('text/plain')
    f.post('/x', async () => 'ok')
    const res = await f.inject({ method: 'POST', url: '/x', headers: { 'content-type': 'text/plain' }, payload: 'hi' })
    expect(res.statusCode).toBe(400)
    expect(res.json().message).toContain('Unsupported Content-Type "text/plain"')
  })
})
