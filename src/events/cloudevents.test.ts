import { describe, expect, it } from 'vitest'
import { toCloudEvent } from './cloudevents.ts'

const base = { seq: 7, id: 'ev1', collectionId: 'c1', collectionName: 'posts', subject: 'r1', data: { id: 'r1' }, created: '2026-12-03 10:00:00.123Z' }

describe('toCloudEvent', () => {
  it('maps a record event to a namespaced type, the collection source and an RFC 3339 time', () => {
    const ce = toCloudEvent({ ...base, type: 'record.create' }, 'basalt://shop')
    expect(ce).toEqual({
      specversion: '1.0', id: 'ev1', source: 'basalt://shop/collections/posts', type: 'basalt.record.create', subject: 'r1',
      time: '2026-12-03T10:00:00.123Z', datacontenttype: 'application/json', data: { id: 'r1' }, basaltseq: 7, basaltcollection: 'posts',
    })
  })

  it('drops an auth record\'s password hash and token key', () => {
    const ce = toCloudEvent({ ...base, type: 'record.update', data: { id: 'r1', email: 'a@b.c', password: '$argon2id$x', tokenKey: 'k' } }, 'basalt://shop')
    expect(ce.data).toEqual({ id: 'r1', email: 'a@b.c' })
  })

  it('keeps a custom type as emitted and omits empty subject and collection', () => {
    const ce = toCloudEvent({ ...base, type: 'order.paid', collectionId: '', collectionName: '', subject: '' }, 'basalt://shop')
    expect(ce.type).toBe('order.paid')
    expect(ce.source).toBe('basalt://shop/app')
    expect('subject' in ce).toBe(false)
    expect('basaltcollection' in ce).toBe(false)
  })
})
