import { runInNewContext } from 'node:vm'
import { describe, expect, test } from 'vitest'
import { type ErrorClass, hideOwnSites } from '../../src/stack/own-sites.js'

// A realm's `Error` of its own (a vm context), so the formatter of the realm running these tests is never touched.
function realm(): { Error: ErrorConstructor & ErrorClass; run: (code: string, filename: string) => unknown } {
  const context = {}
  const ErrorOf = runInNewContext('Error', context) as ErrorConstructor & ErrorClass
  return { Error: ErrorOf, run: (code, filename) => runInNewContext(code, context, { filename }) }
}

/** A formatter like a runner's: the message, then each call site's file and function. */
function runnerFormatter(error: Error, sites: NodeJS.CallSite[]): string {
  return [String(error), ...sites.map((s) => `at ${s.getFunctionName() ?? '<anonymous>'} (${s.getFileName() ?? '?'})`)].join('\n')
}

// Frames from three "files": the test's (test.js), loopcop's (own.js), the runner's (runner.js).
const STACK = `
function runner(wrapper) { return wrapper() }
`
const OWN = `
function loopcopWrapper(test) { return scope(test) }
function scope(test) { return test() }
`
const TEST = `
function theTest() { return new Error('made by the test').stack }
runner(() => loopcopWrapper(theTest))
`
const isOwn = (file: string): boolean => file === 'own.js'

describe('hideOwnSites', () => {
  test("the realm's formatter formats without loopcop's call sites, and is put back", () => {
    const { Error: E, run } = realm()
    E.prepareStackTrace = runnerFormatter
    run(STACK, 'runner.js')
    run(OWN, 'own.js')
    const before = run(TEST, 'test.js') as string
    expect(before).toContain('(own.js)')
    const show = hideOwnSites(E, isOwn)
    const hidden = run(TEST, 'test.js') as string
    // The test's frames, the runner's, then the script's top level (and what ran it, below).
    expect(hidden.split('\n').slice(0, 5)).toEqual(['Error: made by the test', 'at theTest (test.js)', 'at <anonymous> (test.js)', 'at runner (runner.js)', 'at <anonymous> (test.js)'])
    expect(hidden).not.toContain('own.js')
    // It looks like the formatter it wraps.
    expect(E.prepareStackTrace).not.toBe(runnerFormatter)
    expect((E.prepareStackTrace as Function).name).toBe('runnerFormatter')
    expect((E.prepareStackTrace as Function).length).toBe(2)
    show()
    expect(E.prepareStackTrace).toBe(runnerFormatter)
    expect(run(TEST, 'test.js')).toBe(before)
  })

  test('a formatter installed over it later stays when it is put back; hiding twice wraps once', () => {
    const { Error: E } = realm()
    E.prepareStackTrace = runnerFormatter
    const show = hideOwnSites(E, isOwn)
    const wrapper = E.prepareStackTrace
    const again = hideOwnSites(E, isOwn)
    expect(E.prepareStackTrace).toBe(wrapper)
    again()
    expect(E.prepareStackTrace).toBe(wrapper)
    const users = (): string => 'mine'
    E.prepareStackTrace = users
    show()
    expect(E.prepareStackTrace).toBe(users)
  })

  test('no formatter installed: nothing changes', () => {
    const { Error: E } = realm()
    const show = hideOwnSites(E, isOwn)
    expect(E.prepareStackTrace).toBeUndefined()
    show()
    expect(E.prepareStackTrace).toBeUndefined()
  })
})
