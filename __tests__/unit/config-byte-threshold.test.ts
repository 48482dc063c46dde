import { describe, expect, it } from '@jest/globals'
import { InputError, parseByteThreshold, parseSettings } from '../../src/config.js'
import { makeWorkspace } from '../support/workspace.js'

describe('byte-findings-threshold', () => {
  it('defaults to 10 MB and 2 % of the bytes the Dockerfile adds', () => {
    expect(parseSettings({}, makeWorkspace({})).byteFindingsThreshold).toEqual({ bytes: 10_000_000, percent: 2 })
  })

  it.each([
    ['10MB,2%', { bytes: 10_000_000, percent: 2 }],
    ['1% , 5MiB', { bytes: 5 * 1024 ** 2, percent: 1 }],
    ['20MB', { bytes: 20_000_000, percent: 0 }],
    ['0.5%', { bytes: 0, percent: 0.5 }],
    ['0', { bytes: 0, percent: 0 }]
  ])('reads %p', (value, expected) => {
    expect(parseByteThreshold('byte-findings-threshold', value)).toEqual(expected)
  })

  it.each([
    ['', "byte-findings-threshold: '' is not a threshold"],
    ['10MB,', "byte-findings-threshold: '10MB,' is not a threshold"],
    ['10MB,2%,3%', 'is not a threshold'],
    ['10MB,20MB', "byte-findings-threshold: '10MB,20MB' gives two sizes"],
    ['1%,2%', 'gives two percentages'],
    ['1e7', "byte-findings-threshold: '1e7' is not a limit"],
    ['lots', "byte-findings-threshold: 'lots' is not a limit"]
  ])('refuses %p, naming the input', (value, message) => {
    expect(() => parseSettings({ 'byte-findings-threshold': value }, makeWorkspace({}))).toThrow(InputError)
    expect(() => parseSettings({ 'byte-findings-threshold': value }, makeWorkspace({}))).toThrow(message)
  })

  it('leaves failing to fail-on, which names the byte rules like any other', () => {
    const { failOn } = parseSettings({ 'fail-on': 'package-cache, dead-bytes' }, makeWorkspace({})).policy
    expect([...failOn.rules]).toEqual(['package-cache', 'dead-bytes'])
    expect(parseSettings({}, makeWorkspace({})).policy.failOn.rules.has('package-cache')).toBe(false)
  })
})
