import { createRequire } from 'node:module'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { fixtures, runNode } from '../helpers/run.js'

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
const dir = join(fixtures, 'jest', 'types')

// Type tests: the `types` fixture is compiled (never run) against the built package, the way a
// user's project resolves `loopcop/jest`; `@ts-expect-error` lines check what must not compile.
describe('types of loopcop/jest', () => {
  test.each([
    ['the global expect of @types/jest', 'tsconfig.global.json'],
    ["expect from @jest/globals (an ES module, no @types/jest)", 'tsconfig.jest-globals.json'],
  ])('%s: toBlockEventLoop returns void for a sync fn, a promise for an async one', async (_name, config) => {
    const run = await runNode(tsc, ['-p', config], { cwd: dir })
    expect(run.output.trim()).toBe('')
    expect(run.code).toBe(0)
  })
})
