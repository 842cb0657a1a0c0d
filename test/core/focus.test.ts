// Which test files may hold `.only` (src/runner/focus.ts): a file that skipped tests and says so
// makes the run partial (test/baseline/runners.test.ts runs it in Vitest, Jest and Mocha).
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { mayFocusTests } from '../../src/runner/focus.js'
import { tempDir } from './support.js'

describe('mayFocusTests', () => {
  const dir = tempDir()
  const file = (name: string, text: string): string => {
    const path = join(dir, name)
    writeFileSync(path, text)
    return path
  }

  test.each([
    ['it.only', "it.only('a', () => {})"],
    ['describe.only', "describe.only('a', () => {})"],
    ['test.only.each', "test.only.each([1])('a %s', () => {})"],
    ['test.concurrent.only', "test.concurrent.only('a', async () => {})"],
    ["Jest's fit", "fit('a', () => {})"],
    ["Vitest's option only: true", "it('a', { only: true }, () => {})"],
    ["Jest's fdescribe.each", "fdescribe.each([1])('a', () => {})"],
    ['a `.only` in a comment (the safe answer: partial)', "// it.only('a')\nit('a', () => {})"],
  ])('%s: yes', (_, text) => {
    expect(mayFocusTests(file('yes.test.js', text))).toBe(true)
  })

  test.each([
    ['plain tests and .skip', "it('a', () => {})\nit.skip('b', () => {})\ndescribe.skip('c', () => {})"],
    ['words that hold the letters', "const onlyOnce = 1\nconst benefit = fitness('x')\nit('is the only one', () => {})"],
    ['a method named fit', "model.fit(data)\n$fit('x')"],
    ['prose in a comment', '// TODO: see if this would fit (later)\n// the rows fit (roughly) on a page'],
  ])('%s: no', (_, text) => {
    expect(mayFocusTests(file('no.test.js', text))).toBe(false)
  })

  test('a file that cannot be read: yes (the run is taken for partial, its unseen entries kept)', () => {
    expect(mayFocusTests(join(dir, 'missing.test.js'))).toBe(true)
  })
})
