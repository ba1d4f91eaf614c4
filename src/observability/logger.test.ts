// The one logger: JSON lines for machines, short human lines for a terminal, the configured level.
import { describe, expect, it } from 'vitest'
import { createLogger, prettyLine } from './logger.ts'

function collector() {
  const lines: string[] = []
  return { lines, destination: { write: (l: string) => { lines.push(l) } } }
}

describe('logger', () => {
  it('writes one JSON object per line without pid/hostname, honouring the level', () => {
    const c = collector()
    const log = createLogger({ level: 'warn', pretty: false, destination: c.destination })
    log.info('hidden')
    log.warn({ clientId: 'c1' }, 'shown')
    expect(c.lines).toHaveLength(1)
    const o = JSON.parse(c.lines[0])
    expect(o).toMatchObject({ level: 40, msg: 'shown', clientId: 'c1' })
    expect(o).not.toHaveProperty('pid')
  })

  it('pretty lines are human: time, level, message, fields, error stack', () => {
    const err = new Error('boom')
    const line = prettyLine(JSON.stringify({ level: 50, time: Date.UTC(2026, 0, 1, 12, 3, 4), msg: 'request failed', reqId: 'r1', err: { message: 'boom', stack: err.stack } }))
    expect(line).toMatch(/^12:03:04 ERROR request failed reqId=r1 err="boom"\n\s+at /)
  })

  it('silent logs nothing', () => {
    const c = collector()
    createLogger({ level: 'silent', pretty: false, destination: c.destination }).error('x')
    expect(c.lines).toEqual([])
  })
})
