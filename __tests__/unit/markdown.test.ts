import { describe, expect, it } from '@jest/globals'
import { cellCode, code, htmlCode, inline, message, oneLine, preformatted, table } from '../../src/report/markdown.js'
import { humanBytes, humanBytesPair, humanSeconds, signedPercent } from '../../src/format.js'
import { links, renderGfm, textOutsideCode } from '../support/gfm.js'

describe('code spans', () => {
  it.each([
    ['api-server', '`api-server`'],
    ['worker_v2', '`worker_v2`'],
    ['a`b', '``a`b``'],
    ['`edge`', '`` `edge` ``'],
    ['x ``` y', '````x ``` y````'],
    [' both ', '`  both  `'],
    ['line1\nline2', '`line1 line2`'],
    ['', '` `']
  ])('%p → %p', (text, rendered) => {
    expect(code(text)).toBe(rendered)
  })

  it('escapes pipes in table cells only, where GFM splits cells before it reads code', () => {
    expect(cellCode('a | b')).toBe('`a \\| b`')
    expect(code('a | b')).toBe('`a | b`')
  })

  it('HTML-escapes code inside HTML blocks, on one line', () => {
    expect(htmlCode('<b>x</b> & "y"\n\nz')).toBe('<code>&lt;b&gt;x&lt;/b&gt; &amp; &quot;y&quot;  z</code>')
  })
})

describe('inline prose', () => {
  it.each([
    ['api-server worker_v2 a.b', 'api-server worker_v2 a.b'],
    ['*bold* _it_ ~x~', '\\*bold\\* \\_it\\_ \\~x\\~'],
    ['[link](http://evil) <img>', '`[link](http://evil`) \\<img>'],
    ['a | b $x$', 'a \\| b \\$x\\$'],
    ['&copy; & more', '&amp;copy; & more'],
    ['ask @octocat.', 'ask `@octocat`.'],
    ['see www.example.com, or #12', 'see `www.example.com`, or `#12`'],
    ['commit 3f9c2a7; done', 'commit `3f9c2a7`; done'],
    ['1000000 bytes', '1000000 bytes'],
    ['main@3f9c2a7; not rebuilt', '`main@3f9c2a7`; not rebuilt'],
    [':tada: line1\nline2', '`:tada`: line1 line2']
  ])('%p → %p', (text, rendered) => {
    expect(inline(text)).toBe(rendered)
  })

  it('puts words GitHub would link into cell code inside tables', () => {
    expect(inline('a@b|c', { cell: true })).toBe('`a@b\\|c`')
  })

  it('renders backtick spans of finding messages as code, and the prose around them escaped', () => {
    expect(message('`python:3.12` is shared; pin `a*b</code><img>`')).toBe(
      '`python:3.12` is shared; pin `a*b</code><img>`'
    )
    expect(message('odd ` tick <b>')).toBe('odd \\` tick \\<b>')
  })
})

describe('untrusted words in messages, as GitHub renders them', () => {
  const PARTS = [
    '`',
    '``',
    '@octo-org/admins',
    'www.evil.example',
    '(',
    ')',
    'https://',
    'a',
    ' ',
    '|',
    '*',
    '\\',
    '#1'
  ]

  /** Deterministic: the same texts on every run, so a failure can be replayed. */
  function texts(count: number): string[] {
    let seed = 7
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31)
    return Array.from({ length: count }, () =>
      Array.from({ length: 2 + (next() % 9) }, () => PARTS[next() % PARTS.length]).join('')
    )
  }

  it('never leave a mention, a link or a www address outside code, whatever backticks they carry', () => {
    const cases = [
      'ADD https://`z`a`@octo-org/admins /dst at Dockerfile:2 fetches it at build time',
      "dockerfile '../(www.evil-login.com/github)' is outside the working directory",
      ...texts(3000)
    ]
    const paragraphs = renderGfm(cases.map((text) => message(text)).join('\n\n'))
    const cells = renderGfm(
      table(
        ['finding', 'after'],
        cases.map((text) => [message(text, { cell: true }), 'end'])
      )
    )
    for (const html of [paragraphs, cells]) {
      expect(links(html)).toEqual([])
      expect(textOutsideCode(html)).not.toMatch(/@|www\.|:\/\//)
    }
    // A pipe that split a cell would push "end" out of its column, where GFM drops it.
    expect(cells.match(/<td>end<\/td>/g)).toHaveLength(cases.length)
  })
})

describe('untrusted lines', () => {
  it('keeps log lines verbatim inside <pre> with HTML neutralised and no invisible characters added', () => {
    expect(preformatted(['</pre><script>x</script>', '@here ```', 'pkg@1.2.3 @sha256:ab'])).toBe(
      '<pre>&lt;/pre&gt;&lt;script&gt;x&lt;/script&gt;\n@here ```\npkg@1.2.3 @sha256:ab</pre>'
    )
  })

  it('puts printable text on one line', () => {
    expect(oneLine('\u001b[31mred\u001b[0m\r\nnext\rover\u0007')).toBe('red next over\ufffd')
    expect(oneLine('a\nb\u2028c')).toBe('a b c')
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

  it.each([
    [1_128_600_000, 1_133_910_137, ['1.129 GB', '1.134 GB']],
    [80_200_000, 80_500_000, ['80.2 MB', '80.5 MB']],
    [64_440_000, 64_442_100, ['64.440 MB', '64.442 MB']],
    [627_081_380, 627_081_380, ['627 MB', '627 MB']],
    [1_000_000_000, 1_000_000_001, ['1000000000 B', '1000000001 B']]
  ])('%d → %d shows the change: %p', (before, after, texts) => {
    expect(humanBytesPair(before, after)).toEqual(texts)
  })

  it.each([
    [23.456, '+23.5%'],
    [-7, '-7.0%'],
    [0.4712, '+0.47%'],
    [0.00326, '+0.003%'],
    [0, '0.0%']
  ])('%d percent → %s', (percent, text) => {
    expect(signedPercent(percent)).toBe(text)
  })

  it('formats seconds', () => {
    expect(humanSeconds(45.61)).toBe('45.6 s')
    expect(humanSeconds(90.4)).toBe('1 min 30 s')
  })
})
