import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { installed } from '../helpers/run.js'
import { runMocha } from './support.js'

const bare = ['--no-config', '--require', './loopcop.setup.cjs', '--timeout', '30000', 'test/*.spec.js', 'test/*.spec.mjs']
const build = (kind: 'esm' | 'cjs') => join(installed, 'dist', kind, 'integrations', 'mocha', 'index.js')

// `--require loopcop/mocha` loads the CommonJS build where Node can `require()` it, the ES module
// build where Mocha falls back to `import()`: both must work, and both together must not double up.
describe('either build of loopcop/mocha', () => {
  test.each([
    { kind: 'esm' as const, args: [] },
    { kind: 'esm' as const, args: ['--parallel', '--jobs', '2'] },
    { kind: 'cjs' as const, args: ['--parallel', '--jobs', '2'] },
  ])('the $kind build alone $args', async ({ kind, args }) => {
    const run = await runMocha('suite', ['--require', build(kind), ...bare, ...args], { name: `build-${kind}-${args.length}` })
    expect(run.json.stats).toMatchObject({ tests: 25, passes: 15, failures: 10 })
    expect(run.report?.summary).toMatchObject({ findings: 12, tests: 11 })
  })

  test('both builds registered (the .mocharc one and another --require): one verdict per test, one run report', async () => {
    const run = await runMocha('suite', ['--require', build('esm'), '--parallel', '--jobs', '2'], { name: 'build-both' })
    expect(run.json.stats).toMatchObject({ tests: 25, passes: 15, failures: 10 })
    expect(run.report?.summary).toMatchObject({ findings: 12, tests: 11 })
    expect(run.stderr.split('loopcop: 12 blocking calls')).toHaveLength(2)
  })
})
