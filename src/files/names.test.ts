// Unit tests for stored file naming, including hostile upload names (SECURITY.md §3 H1/H5).
import { describe, expect, it } from 'vitest'
import { extensionOf, isValidStoredName, snakeCase, storedFileName } from './names.ts'

const R = 'abcde12345'
const fixed = () => R
const name = (n: string) => storedFileName(n, fixed)

describe('snakeCase (PocketBase inflector)', () => {
  it.each([
    ['MyFile', 'my_file'], ['my file name', 'my_file_name'], ['HTTPServer', 'httpserver'], ['a1B', 'a1_b'],
    ['__x__y__', 'x_y'], ['Ünïcode', 'n_code'], ['', ''], ['---', ''],
  ])('%s → %s', (input, out) => expect(snakeCase(input)).toBe(out))
})

describe('storedFileName', () => {
  it('follows the PocketBase shape', () => {
    expect(name('My Photo.PNG')).toBe(`my_photo_${R}.png`)
    expect(name('report-2024.final.pdf')).toBe(`report_2024_final_${R}.pdf`)
    expect(name('archive.tar.gz')).toBe(`archive_tar_${R}.gz`)
  })

  it('uses 10 random [a-z0-9] chars by default, different each time', () => {
    const a = storedFileName('x.png')
    const b = storedFileName('x.png')
    expect(a).toMatch(/^x_[a-z0-9]{10}\.png$/)
    expect(a).not.toBe(b)
  })

  it('rejects a bad random source', () => {
    expect(() => storedFileName('x.png', () => '../../../a')).toThrow(TypeError)
    expect(() => storedFileName('x.png', () => 'ABCDE12345')).toThrow(TypeError)
  })

  it.each([
    ['../../etc/passwd', `passwd_${R}`],
    ['..%2f..%2fx.png', `2f_2fx_${R}.png`],
    ['a/b.png', `b_${R}.png`],
    ['C:\\x.png', `x_${R}.png`],
    ['C:\\Users\\me\\..\\evil.exe', `evil_${R}.exe`],
    ['x.png%00.html', `x_png_${R}.html`],
    ['x.php%00.png', `x_php_${R}.png`],
    ['x.png\u0000.html', `x_png_${R}.html`],
    ['x.html.', `x_html_${R}`],
    ['x.HTML', `x_${R}.html`],
    ['x.svgz', `x_${R}.svgz`],
    ['x.php.png', `x_php_${R}.png`],
    ['x', `x_${R}`],
    ['x.png ', `x_${R}.png`],
    [' x.png', `x_${R}.png`],
    ['x.p n\tg', `x_${R}.png`],
    ['.htaccess', `htaccess_${R}`],
    ['..', `file_${R}`],
    ['...', `file_${R}`],
    ['', `file_${R}`],
    ['/', `file_${R}`],
    ['.png', `png_${R}`],
    ['日本語.jpg', `file_${R}.jpg`],
    ['x.jp€g', `x_${R}.jpg`],
    ['x.' + 'a'.repeat(21), `x_${R}`],
    ['x.' + 'a'.repeat(20), `x_${R}.${'a'.repeat(20)}`],
    ['x\r\nSet-Cookie: a=b.png', `x_set_cookie_a_b_${R}.png`],
    ['<script>alert(1)</script>.svg', `script_${R}.svg`], // '/' in '</script>' is a path separator
    ['<img src=x onerror=alert(1)>.svg', `img_src_x_onerror_alert_1_${R}.svg`],
    ['x.png/', `file_${R}`],
  ])('%j → %s', (input, out) => {
    const n = name(input)
    expect(n).toBe(out)
    expect(isValidStoredName(n)).toBe(true)
  })

  it('truncates a 200-char base to 100 chars and never leaves a trailing underscore before the suffix', () => {
    const n = name('a'.repeat(200) + '.png')
    expect(n).toBe('a'.repeat(100) + `_${R}.png`)
    const n2 = name('a'.repeat(99) + ' b' + '.png')
    expect(n2).toBe('a'.repeat(99) + `_${R}.png`)
  })

  it('survives non-string input and huge names', () => {
    expect(name(undefined as unknown as string)).toBe(`file_${R}`)
    const n = storedFileName('x'.repeat(1_000_000) + '.png')
    expect(n.length).toBeLessThanOrEqual(100 + 1 + 10 + 21)
    expect(isValidStoredName(n)).toBe(true)
  })

  it('fuzz: random byte strings always give a valid name with no separators', () => {
    for (let i = 0; i < 500; i++) {
      const s = String.fromCharCode(...Array.from({ length: 1 + (i % 40) }, () => Math.floor(Math.random() * 0x3000)))
      const n = storedFileName(s)
      expect(isValidStoredName(n)).toBe(true)
      expect(n).not.toMatch(/[/\\\0]|\.\./)
    }
  })
})

describe('isValidStoredName', () => {
  it.each(['my_photo_abcde12345.png', 'x_abcde12345', 'Legacy_Name-1_abc123xyzq.JPG', '_x', 'a+b=c.txt'])('accepts %s', (n) =>
    expect(isValidStoredName(n)).toBe(true))
  it.each(['', '.', '..', '../x', 'a/b', 'a\\b', '.hidden', 'x.', 'a..b', 'x\0.png', 'x y.png', 'x%2f.png', 'x:y', 'é.png', 'a'.repeat(256)])(
    'rejects %j', (n) => expect(isValidStoredName(n)).toBe(false))
  it('rejects non-strings', () => expect(isValidStoredName(42 as unknown as string)).toBe(false))
})

describe('extensionOf', () => {
  it('lower-cases and ignores leading dots', () => {
    expect(extensionOf('a.PNG')).toBe('png')
    expect(extensionOf('.bashrc')).toBe('')
    expect(extensionOf('noext')).toBe('')
  })
})
