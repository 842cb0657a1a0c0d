import { describe, expect, test } from 'vitest'
import { TestRefs, testKey } from '../../src/model/finding.js'

// A test's ref names it in every finding and report; two tests of one file that share a full name
// are two tests (`repeat`), and every try of one test is that test.
describe('TestRefs', () => {
  test('names a test by its name and file, and gives the same ref for every try of it', () => {
    const refs = new TestRefs<object>()
    const test = {}
    const ref = refs.of(test, 'reads > config', '/p/a.test.ts')
    expect(ref).toEqual({ name: 'reads > config', file: '/p/a.test.ts' })
    expect(Object.keys(ref)).toEqual(['name', 'file'])
    expect(refs.of(test, 'reads > config', '/p/a.test.ts')).toBe(ref)
  })

  test('counts the tests of one file that share a name, and no others', () => {
    const refs = new TestRefs<object>()
    expect(refs.of({}, 'same', '/p/a.test.ts')).toEqual({ name: 'same', file: '/p/a.test.ts' })
    expect(refs.of({}, 'same', '/p/a.test.ts')).toEqual({ name: 'same', file: '/p/a.test.ts', repeat: 2 })
    expect(refs.of({}, 'same', '/p/b.test.ts')).toEqual({ name: 'same', file: '/p/b.test.ts' })
    expect(refs.of({}, 'other', '/p/a.test.ts')).toEqual({ name: 'other', file: '/p/a.test.ts' })
    expect(refs.of({}, 'same', '/p/a.test.ts')).toEqual({ name: 'same', file: '/p/a.test.ts', repeat: 3 })
  })

  test('a test with no file is counted apart from the files', () => {
    const refs = new TestRefs<object>()
    const ref = refs.of({}, 'same', undefined)
    expect(ref).toEqual({ name: 'same' })
    expect(Object.keys(ref)).toEqual(['name'])
    expect(refs.of({}, 'same', undefined)).toEqual({ name: 'same', repeat: 2 })
    expect(refs.of({}, 'same', '/p/a.test.ts')).toEqual({ name: 'same', file: '/p/a.test.ts' })
  })

  test('the refs of repeated names have distinct keys', () => {
    const refs = new TestRefs<object>()
    const keys = [refs.of({}, 'same', '/p/a.test.ts'), refs.of({}, 'same', '/p/a.test.ts'), refs.of({}, 'same', undefined)].map((ref) => testKey(ref))
    expect(new Set(keys).size).toBe(3)
  })

  test('one file run by two named projects is two tests, each counted apart (a worker may run both with its modules kept)', () => {
    const refs = new TestRefs<object>()
    const node = refs.of({}, 'same', '/p/a.test.ts', 'node')
    const jsdom = refs.of({}, 'same', '/p/a.test.ts', 'jsdom')
    expect([node, jsdom]).toEqual([
      { name: 'same', file: '/p/a.test.ts', project: 'node' },
      { name: 'same', file: '/p/a.test.ts', project: 'jsdom' },
    ])
    expect(refs.of({}, 'same', '/p/a.test.ts', 'node')).toEqual({ name: 'same', file: '/p/a.test.ts', repeat: 2, project: 'node' })
    const plain = refs.of({}, 'same', '/p/a.test.ts')
    expect(new Set([node, jsdom, plain].map((ref) => testKey(ref))).size).toBe(3)
  })
})
