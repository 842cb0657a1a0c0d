// The built-in allow rules give the verdict of the first rule, in list order, that matches a frame
// above the caller frame, whichever frame that is: most of them are a `package` alone and are looked
// up by each frame's package (allow.ts, `firstBuiltin`), the others tried frame by frame. These
// stacks mix both kinds, several matching frames, frames in either order, and the rules that apply
// only without a frame of the user's.
import { describe, expect, test } from 'vitest'
import { type CompiledRule, builtinRules, compileRule, findAllowingRule } from '../../src/accounting/allow.js'
import { catalog } from '../../src/model/operation.js'
import type { Frame } from '../../src/model/finding.js'

const readFileSync = catalog.find((s) => s.operation.id === 'fs.readFileSync')!.operation
const statSync = catalog.find((s) => s.operation.id === 'fs.statSync')!.operation

/** A frame of package `pkg` (a path under node_modules), of Node's own code (`node:…`), or of the user's (a path). */
function frame(where: string): Frame {
  if (where.startsWith('node:') || where.startsWith('/')) return { fn: 'f', file: where, line: 1, column: 1 }
  return { fn: 'f', file: `/p/node_modules/${where}/index.js`, line: 1, column: 1 }
}

/** The label of the rule of `rules` that allows a `readFileSync` with these frames (innermost first). */
function allowedBy(rules: readonly CompiledRule[], where: readonly string[], operation = readFileSync): string | undefined {
  const frames = where.map(frame)
  return findAllowingRule(rules, { operation, arg: undefined, frames: () => frames })?.label
}

const USER = '/p/test/a.test.js'

describe('built-in rules: the first in list order wins, whichever frame matches it', () => {
  const rules = builtinRules(false)

  test('two package rules matched by two frames: the earlier rule, in either frame order', () => {
    // "jest module registry" comes before "source maps" in the list.
    expect(allowedBy(rules, ['source-map-support', 'jest-runtime', USER])).toBe('built-in: jest module registry')
    expect(allowedBy(rules, ['jest-runtime', 'source-map-support', USER])).toBe('built-in: jest module registry')
    expect(allowedBy(rules, ['source-map-support', USER])).toBe('built-in: source maps')
    // ts-node's fork of it (rxjs).
    expect(allowedBy(rules, ['@cspotcode/source-map-support', USER])).toBe('built-in: source maps')
  })

  test("Node's own stream writing process.stdout to a file is allowed, from the user's console.log too; the user's own writeSync is not", () => {
    const writeSync = catalog.find((s) => s.operation.id === 'fs.writeSync')!.operation
    const label = "built-in: Node's output to a file (process.stdout, process.stderr)"
    expect(allowedBy(rules, ['node:internal/fs/sync_write_stream', 'node:internal/streams/writable', 'node:internal/console/constructor', USER], writeSync)).toBe(label)
    expect(allowedBy(rules, ['node:internal/fs/sync_write_stream', 'node:internal/worker/io'], writeSync)).toBe(label)
    expect(allowedBy(rules, [USER], writeSync)).toBeUndefined()
  })

  test('a `within` rule first in the list wins over a package rule matched by another frame', () => {
    expect(allowedBy(rules, ['jest-circus', 'node:internal/modules/cjs/loader', USER])).toBe("built-in: Node's module loader")
    // …and a package rule earlier in the list than a `within` rule wins over it.
    expect(allowedBy(rules, ['node:internal/source_map/source_map_cache', 'jest-runtime', USER])).toBe('built-in: jest module registry')
    expect(allowedBy(rules, ['node:internal/source_map/source_map_cache', 'istanbul-lib-coverage', USER])).toBe('built-in: source maps')
  })

  test("a transformer or require hook of the project's own, which Jest's transform or pirates calls, is module loading; the same code called by the test is the test's", () => {
    const transformer = '/p/transform/version.cjs'
    expect(allowedBy(rules, [transformer, '@jest/transform', 'jest-runtime', USER])).toBe('built-in: jest module registry')
    // Its own frames, Node's between: still the transformer's.
    expect(allowedBy(rules, [transformer, 'node:internal/util', '/p/transform/util.cjs', '@jest/transform', USER])).toBe('built-in: jest module registry')
    expect(allowedBy(rules, [transformer, 'pirates', USER])).toBe('built-in: TypeScript/Babel register hook')
    // Called by another package, or by the test itself: the user's code, as ever.
    expect(allowedBy(rules, [transformer, 'lodash', '@jest/transform', USER])).toBeUndefined()
    expect(allowedBy(rules, [transformer, USER])).toBeUndefined()
    // The capture ended in the transformer's own frames: nothing says who called it.
    expect(allowedBy(rules, [transformer, '/p/transform/util.cjs'])).toBeUndefined()
  })

  test('scoped packages match their globs (`@jest/*`, `@vitest/*`, `istanbul-lib-*`)', () => {
    expect(allowedBy(rules, ['@jest/core', USER])).toBe('built-in: jest machinery')
    expect(allowedBy(rules, ['@vitest/runner', USER])).toBe('built-in: vitest/vite module runner')
    expect(allowedBy(rules, ['istanbul-lib-instrument', USER])).toBe('built-in: coverage')
    expect(allowedBy(rules, ['@jestx/core', USER])).toBeUndefined()
  })

  test('frames below the caller frame are not looked at, nor are a spy’s', () => {
    expect(allowedBy(rules, [USER, 'jest-circus'])).toBeUndefined()
    expect(allowedBy(rules, ['left-pad', USER, 'jest-runtime'])).toBeUndefined()
    expect(allowedBy(rules, ['tinyspy', USER, 'jest-circus'])).toBeUndefined()
  })

  test('a rule for a library the user may call too applies only with no frame of the user’s', () => {
    // esbuild (withoutCaller) under the user's frame: the user's call.
    expect(allowedBy(rules, ['esbuild', USER])).toBeUndefined()
    expect(allowedBy(rules, ['esbuild', 'left-pad'])).toBe('built-in: TypeScript/Babel register hook')
    // A later rule that applies with a caller still allows it: write-file-atomic (withoutCaller) inside jest-snapshot.
    expect(allowedBy(rules, ['write-file-atomic', 'jest-snapshot', USER])).toBe('built-in: jest machinery')
    expect(allowedBy(rules, ['write-file-atomic', USER])).toBeUndefined()
  })

  test('the module-loading rules are left out with `moduleLoading`, and a package seen under both lists is judged by each', () => {
    const withoutLoader = builtinRules(true)
    expect(allowedBy(rules, ['jest-runtime', USER])).toBe('built-in: jest module registry')
    expect(allowedBy(withoutLoader, ['jest-runtime', USER])).toBeUndefined()
    expect(allowedBy(rules, ['jest-runtime', USER])).toBe('built-in: jest module registry')
    expect(allowedBy(withoutLoader, ['jest-circus', USER])).toBe('built-in: jest machinery')
  })

  test('a call of no one’s own with frames of many packages: the first rule matched by any of them', () => {
    const deep = ['typescript', 'left-pad', '@typescript-eslint/parser', 'eslint', 'c8', 'jest-circus', 'mocha']
    expect(allowedBy(rules, deep)).toBe('built-in: jest machinery')
    expect(allowedBy(rules, deep.filter((p) => p !== 'jest-circus'))).toBe('built-in: mocha')
    expect(allowedBy(rules, ['typescript', 'left-pad', 'eslint'])).toBeUndefined()
  })
})

describe('built-in rules with fields besides `package` are tried as written', () => {
  test('a built-in rule with an operation applies to that operation only, in its place in the list', () => {
    const rules = [
      compileRule({ package: 'fake-a', operation: 'fs.statSync' }, { label: 'built-in: a, statSync' }),
      compileRule({ package: 'fake-a' }, { label: 'built-in: a' }),
      compileRule({ within: '**/fake-b/**' }, { label: 'built-in: b' }),
    ]
    expect(allowedBy(rules, ['fake-a', USER], statSync)).toBe('built-in: a, statSync')
    expect(allowedBy(rules, ['fake-a', USER])).toBe('built-in: a')
    expect(allowedBy(rules, ['fake-b', 'fake-a', USER], statSync)).toBe('built-in: a, statSync')
    expect(allowedBy(rules, ['fake-b', USER])).toBe('built-in: b')
  })

  test('the user’s rules come after every built-in one', () => {
    const rules = [compileRule({ package: 'jest-runtime' }), ...builtinRules(false)]
    expect(allowedBy(rules, ['jest-runtime', USER])).toBe('built-in: jest module registry')
    expect(allowedBy(rules, [USER, 'jest-runtime'])).toBe('{"package":"jest-runtime"}')
  })
})
