import { describe, expect, it } from '@jest/globals'
import { escapeMarkdown, escapeMessage, humanBytes, humanSeconds, preformatted } from '../../src/markdown.js'

describe('escaping untrusted text', () => {
  it.each([
    ['<img src=x onerror=alert(1)>', '&lt;img src=x onerror=alert\\(1\\)&gt;'],
    ['a | b', 'a \\| b'],
    ['**bold** _it_ `code`', '\\*\\*bold\\*\\* \\_it\\_ \\`code\\`'],
    ['[link](http://evil)', '\\[link\\]\\(http://evil\\)'],
    ['line1\nline2', 'line1 line2'],
    ['@octocat', '@\u200boctocat'],
    ['# heading', '\\# heading'],
    ["it's <b>", "it's &lt;b&gt;"],
    ['a & b', 'a &amp; b']
  ])('%p', (text, escaped) => {
    expect(escapeMarkdown(text)).toBe(escaped)
  })

  it('renders backtick spans of finding messages as escaped <code>', () => {
    expect(escapeMessage('`python:3.12` is shared; pin `a*b</code><img>`')).toBe(
      '<code>python:3.12</code> is shared; pin <code>a\\*b&lt;/code&gt;&lt;img&gt;</code>'
    )
    expect(escapeMessage('odd ` tick <b>')).toBe('odd \\` tick &lt;b&gt;')
  })

  it('keeps log lines verbatim inside <pre> with HTML neutralised', () => {
    expect(preformatted(['</pre><script>x</script>', '@here ```'])).toBe(
      '<pre>&lt;/pre&gt;&lt;script&gt;x&lt;/script&gt;\n@\u200bhere ```</pre>'
    )
  })
})

describe('human units', () => {
  it.each([
    [0, '0 B'],
    [999, '999 B'],
    [1_234, '1.23 kB'],
    [755_000_000, '755 MB'],
    [1_130_000_000, '1.13 GB'],
    [-12_500_000, '-12.5 MB']
  ])('%d bytes → %s', (bytes, text) => {
    expect(humanBytes(bytes)).toBe(text)
  })

  it('formats seconds', () => {
    expect(humanSeconds(45.61)).toBe('45.6 s')
    expect(humanSeconds(90.4)).toBe('1 min 30 s')
  })
})
