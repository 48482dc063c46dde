import { describe, expect, it } from '@jest/globals'
import { redactorFor, secretFragments } from '../../src/redact.js'

describe('encoded secret values', () => {
  const value = 'Hunter2 Secret/~!'

  it.each([
    ['encodeURIComponent', 'https://example.com/a/Hunter2%20Secret%2F~!/b'],
    ['encodeURI', 'https://example.com/a/Hunter2%20Secret/~!/b'],
    ['lower-case hex', 'https://example.com/a/Hunter2%20Secret%2f~!/b'],
    ['form encoding', 'https://example.com/a?t=Hunter2+Secret%2F%7E%21&b'],
    ['base64', `Authorization: Bearer ${Buffer.from(value).toString('base64')}`],
    ['base64url', `token=${Buffer.from(value).toString('base64url')}`]
  ])('are redacted in their %s form', (_, text) => {
    const redacted = redactorFor({}, { token: value })(text)
    expect(redacted).toContain('***')
    expect(redacted).not.toMatch(/Hunter2|SHVudGVyMiBTZWNyZXQ/)
  })

  it('are redacted where a build-arg reaches an ADD URL, in every line that shows it', () => {
    const redact = redactorFor({ TOKEN: 'Hunter2 Secret' })
    expect(redact('ERROR: failed to load https://example.com/Hunter2%20Secret/file: 404')).toBe(
      'ERROR: failed to load https://example.com/***/file: 404'
    )
    expect(redact('#5 [2/2] ADD https://example.com/Hunter2%20Secret/file /f')).toBe(
      '#5 [2/2] ADD https://example.com/***/file /f'
    )
  })

  it('are encoded only for values long enough to redact on their own, and each line of a multi-line value', () => {
    expect(secretFragments('ab')).toEqual([])
    expect(redactorFor({ SHORT: 'ab' })('YWI and ab')).toBe('YWI and ab')
    expect(secretFragments('a b')).toEqual(['a b', 'a%20b', 'a+b', 'YSBi'])
    expect(secretFragments('line one\nline two')).toEqual(
      expect.arrayContaining(['line%20one', 'line+one', Buffer.from('line two').toString('base64').replace(/=+$/, '')])
    )
  })
})
