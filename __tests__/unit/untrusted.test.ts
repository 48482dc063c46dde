import { describe, expect, it } from '@jest/globals'
import { Writable } from 'node:stream'
import { terminalLogger } from '../../src/log.js'
import { oneLine, preformatted } from '../../src/report/markdown.js'
import { term } from '../../src/report/text.js'
import { printable } from '../../src/untrusted.js'

const range = (from: number, to: number): string[] =>
  Array.from({ length: to - from + 1 }, (_, index) => String.fromCharCode(from + index))

const C0 = range(0x00, 0x1f).filter((char) => !'\t\n\r'.includes(char))
const C1 = range(0x80, 0x9f)

describe('printable', () => {
  it('shows every C0 control character but tab and line feed, DEL and every C1 one as the replacement character', () => {
    for (const char of [...C0, '\u007f', ...C1]) expect(printable(`a${char}b`)).toBe('a\ufffdb')
    expect(printable('a\tb\nc')).toBe('a\tb\nc')
  })

  it('keeps everything else, also just outside the ranges', () => {
    expect(printable(' ~\u00a0é→🐳\u2028')).toBe(' ~\u00a0é→🐳\u2028')
  })

  it('drops terminal escape sequences and ends lines at carriage returns', () => {
    expect(printable('\u001b[31mred\u001b[0m \u001b[2K\u001b[1;2H\u001b[?25l')).toBe('red ')
    expect(printable('one\r\ntwo\rthree')).toBe('one\ntwo\nthree')
    expect(printable('\u001b]0;title\u0007')).toBe('\ufffd]0;title\ufffd')
  })
})

describe('untrusted text, wherever it is printed', () => {
  const text = 'api\u001b[31m\u0007\u009b2J\rnext'

  it('is made printable the same way on a terminal, in Markdown and in the terminal log', () => {
    const written: string[] = []
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        written.push(chunk.toString('utf8'))
        done()
      }
    })
    terminalLogger(stream, true).warning(text)
    expect(written).toEqual([`warning: ${printable(text)}\n`])
    expect(printable(text)).toBe('api\ufffd\ufffd2J\nnext')
    expect(term(text)).toBe(oneLine(text))
    expect(term(text)).toBe('api\ufffd\ufffd2J next')
    expect(preformatted([text])).toBe('<pre>api\ufffd\ufffd2J\nnext</pre>')
  })
})
