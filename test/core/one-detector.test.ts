import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { fixtures, installed, runNode } from '../helpers/run.js'

const dir = join(fixtures, 'core')

describe.each([['ESM first', []], ['CJS first', ['cjs-first']]] as const)('the ESM and CJS builds in one process (%s)', (_, args) => {
  test('share one detector and one set of wrappers', async () => {
    const run = await runNode(join(dir, 'one-detector.mjs'), args, { cwd: dir })
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    const out = JSON.parse(run.stdout) as Record<string, unknown> & { self: string; files: { esm: string; cjs: string } }
    // Two really different copies were loaded...
    expect(out.files.esm).toBe(`file://${join(installed, 'dist', 'esm', 'src', 'index.js')}`)
    expect(out.files.cjs).toBe(join(installed, 'dist', 'cjs', 'src', 'index.js'))
    // ...and every export of one is the other's.
    expect(out.same).toEqual([])
    expect(out.wrapped).toBe(true)
    // Wrapping is not doubled: one call is one finding of one call, whichever copy asks.
    const one = [{ operation: 'fs.readFileSync', calls: 1, file: out.self }]
    expect(out.viaCjs).toEqual(one)
    expect(out.viaEsm).toEqual(one)
    // The call the other copy's allowBlocking(fn) allowed is counted under its rule, without a stack.
    expect(out.mixed).toEqual([{ operation: 'fs.statSync', calls: 1 }, { operation: 'fs.lstatSync', calls: 1, file: out.self }])
    expect(out.instance).toEqual({ esm: true, cjs: true, name: 'BlockingIOError' })
    // One evaluation of the core bundle serves both builds, whichever loads first: in the main
    // realm both run it through V8's code cache, neither `require`s it (scripts/build.mjs).
    expect(out.cores).toBe(1)
    expect(out.bundleRequired).toBe(false)
    // One deactivate() restores the originals.
    expect(out.restored).toBe(true)
  })
})
