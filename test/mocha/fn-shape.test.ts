import { describe, expect, test } from 'vitest'
import { runMocha } from './support.js'

// While a test runs, Mocha holds loopcop's wrapper of its function (`this.test.fn`): it keeps the
// function's `name`, `length` and source text, whatever its shape (named or not, `done` or not,
// async, more parameters than `done`). Each fixture test checks its own wrapper.
describe.each([{ mocha11: false }, { mocha11: true }])('Mocha $mocha11 (true: 11)', ({ mocha11 }) => {
  test('every test sees its function as it wrote it', async () => {
    const run = await runMocha('fn-shape', [], { name: `fn-shape-${mocha11 ? 11 : 12}`, mocha11 })
    expect(run.json.failures.map((f) => `${f.fullTitle}: ${f.err.message ?? ''}`)).toEqual([])
    expect(run.json.stats).toMatchObject({ tests: 6, passes: 6, failures: 0 })
  }, 240_000)
})
