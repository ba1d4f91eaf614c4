// Unit tests for thumb size parsing, which sizes are served, and PocketBase's thumb key layout.
import { describe, expect, it } from 'vitest'
import type { FileField } from '../core/collections/types.ts'
import { parseThumbSize, servableThumb, thumbKey } from './thumbs.ts'

const field = (thumbs: string[] | null) => ({ type: 'file', name: 'f', thumbs } as FileField)

describe('parseThumbSize', () => {
  it.each([
    ['100x100', { width: 100, height: 100, mode: 'center' }], ['10x20t', { width: 10, height: 20, mode: 'top' }],
    ['10x20b', { width: 10, height: 20, mode: 'bottom' }], ['10x20f', { width: 10, height: 20, mode: 'fit' }],
    ['0x50', { width: 0, height: 50, mode: 'center' }], ['50x0', { width: 50, height: 0, mode: 'center' }],
  ])('%s', (size, spec) => expect(parseThumbSize(size)).toEqual(spec))
  it.each(['0x0', '0x0t', 'x', '10x', '10x10z', '-1x10', '10x10 ', '10001x10', ' 10x10'])('rejects %j', (size) => expect(parseThumbSize(size)).toBeNull())
})

describe('servableThumb', () => {
  it('serves 100x100 and listed sizes for png/jpg/jpeg/gif/webp only', () => {
    expect(servableThumb(field(null), 'a.png', '100x100')).toBe('100x100')
    expect(servableThumb(field(['20x20f']), 'a.JPG', '20x20f')).toBe('20x20f')
    expect(servableThumb(field(['20x20f']), 'a.webp', '30x30')).toBeNull()
    for (const name of ['a.svg', 'a.pdf', 'a', 'a.bmp', 'a.tiff']) expect(servableThumb(field(['20x20']), name, '20x20')).toBeNull()
    expect(servableThumb(field(['0x0']), 'a.png', '0x0')).toBeNull()
    expect(servableThumb(field(null), 'a.png', ['100x100'] as unknown as string)).toBeNull()
    expect(servableThumb(field(null), 'a.png', undefined)).toBeNull()
  })
})

describe('thumbKey', () => {
  it('puts thumbs in thumbs_<name>/<size>_<name> next to the original', () => {
    expect(thumbKey('pbc_1/rec1/photo_abc.png', '100x100t')).toBe('pbc_1/rec1/thumbs_photo_abc.png/100x100t_photo_abc.png')
  })
})
