// Unit tests for auth mail templates: placeholders, escaping, secrets never rendered, text part.
import { describe, expect, it } from 'vitest'
import { escapeHtml, htmlToText, renderTemplate } from './templates.ts'

const vars = { appName: 'Acme & Co', appURL: 'https://app.example.com/', token: 'aaa.bbb.ccc', record: { id: 'r1', name: 'Ann', email: 'a@x.io', tokenKey: 'SECRETKEY', password: '$argon2id$HASH' } }

describe('renderTemplate', () => {
  it('fills every placeholder; APP_URL loses its trailing slash so links have no `//_/`', () => {
    const out = renderTemplate({ subject: '{APP_NAME}: hi {RECORD:name}', body: '<a href="{APP_URL}/_/#/auth/confirm-verification/{TOKEN}">{RECORD:email}</a>' }, vars)
    expect(out.subject).toBe('Acme & Co: hi Ann')
    expect(out.html).toBe('<a href="https://app.example.com/_/#/auth/confirm-verification/aaa.bbb.ccc">a@x.io</a>')
  })

  it('escapes values in the HTML body but not in the subject; strips control characters from the subject', () => {
    const record = { ...vars.record, name: '"><script>x</script>\r\nBcc: evil@x.io' }
    const out = renderTemplate({ subject: 'Hi {RECORD:name}', body: '<p title="{RECORD:name}">{APP_NAME}</p>' }, { ...vars, record })
    expect(out.html).toBe('<p title="&quot;&gt;&lt;script&gt;x&lt;/script&gt;\r\nBcc: evil@x.io">Acme &amp; Co</p>')
    expect(out.subject).toBe('Hi "><script>x</script> Bcc: evil@x.io')
  })

  it('substitutes in one pass: a value that contains a placeholder is not expanded', () => {
    const out = renderTemplate({ subject: '{RECORD:name}', body: '{RECORD:name}' }, { ...vars, record: { ...vars.record, name: '{TOKEN} {RECORD:tokenKey}' } })
    expect(out.subject).toBe('{TOKEN} {RECORD:tokenKey}')
    expect(out.html).not.toContain('aaa.bbb.ccc')
  })

  it('never renders tokenKey or the password hash; unknown fields are empty; non-strings are stringified', () => {
    const out = renderTemplate({ subject: '', body: '[{RECORD:tokenKey}][{RECORD:password}][{RECORD:missing}][{RECORD:n}][{RECORD:tags}]' }, { ...vars, record: { ...vars.record, n: 3, tags: ['a'] } })
    expect(out.html).toBe('[][][][3][[&quot;a&quot;]]')
  })

  it('leaves unknown placeholders alone', () => {
    expect(renderTemplate({ subject: '{OTP} {app_name}', body: '' }, vars).subject).toBe('{OTP} {app_name}')
  })
})

describe('helpers', () => {
  it('escapeHtml covers the five HTML specials', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;')
  })
  it('htmlToText drops tags, keeps links and decodes our entities once', () => {
    expect(htmlToText('<p>Hi &lt;b&gt; &amp;lt;</p><p>Go: https://x.io/_/#/auth/a/t</p>')).toBe('Hi <b> &lt;\nGo: https://x.io/_/#/auth/a/t')
  })
})
