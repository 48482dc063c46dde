import fs from 'node:fs'
import { expect, it } from '@jest/globals'
import { VERSION } from '../../src/version.js'

it('reports the version package.json declares', () => {
  expect(VERSION).toBe((JSON.parse(fs.readFileSync('package.json', 'utf8')) as { version: string }).version)
})
