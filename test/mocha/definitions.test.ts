// Files of tests that a spec file loads (js-yaml's test/30-issues.js requires test/issues/*.js;
// socket.io's test/index.ts imports every test file): Mocha names their tests by the spec file, and
// loopcop counts the file each test is defined in as a test file too, for the rule "test code".
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { type MochaRun, mochaFixtures, runMocha } from './support.js'

const fixture = join(mochaFixtures, 'definitions')

/** `file:line` of the line of a fixture file marked with `// <mark>`. */
function marked(file: string, mark: string): string {
  const lines = readFileSync(join(fixture, file), 'utf8').split('\n')
  const i = lines.findIndex((l) => l.includes(`// ${mark}`))
  if (i < 0) throw new Error(`${file} has no line marked "// ${mark}"`)
  return `${file}:${i + 1}`
}

// Under Mocha 11 the ES module's `import { it } from 'mocha'` would resolve to the fixtures' Mocha
// 12, not the Mocha running: that run leaves the ES module spec out.
const runs = [
  { label: 'Mocha 12, serial', args: [], mocha11: false, esm: true },
  { label: 'Mocha 12, --parallel', args: ['--parallel', '--jobs', '2'], mocha11: false, esm: true },
  { label: 'Mocha 11, serial', args: ['--ignore', 'test/esm.spec.mjs'], mocha11: true, esm: false },
]

describe.each(runs)('$label', ({ label, args, mocha11, esm }) => {
  let run: MochaRun
  beforeAll(async () => {
    run = await runMocha('definitions', args, { name: `definitions-${label.replace(/\W+/g, '-')}`, mocha11, env: { LOOPCOP_TEST_CODE: 'allow' } })
  }, 240_000)

  test('a file of tests a spec file loads is test code; a helper that defines no test is not', () => {
    expect(run.failed).toEqual(['issues a helper that defines no test'])
    const passed = ['issues issue one reads its fixture', 'issues shared reads its fixture']
    expect(run.json.passes.map((t) => t.fullTitle).sort()).toEqual(esm ? ['issue two reads its fixture', ...passed] : passed)
    // `it.skip` through loopcop's `it` still skips.
    expect(run.json.stats).toMatchObject({ tests: esm ? 5 : 4, passes: esm ? 3 : 2, failures: 1, pending: 1 })
    expect(run.message('issues a helper that defines no test')).toContain(marked('test/issues/helper.cjs', 'not test code: helper'))
  })

  test('the run report lists the files of tests’ own calls as "test code", the helper’s as a violation', () => {
    const findings = run.report?.findings ?? []
    const at = (f: (typeof findings)[number]) => `${f.location?.file}:${f.location?.line}`
    expect(findings.filter((f) => f.allowedBy === 'test code').map((f) => [f.operation, at(f), f.testCode]).sort()).toEqual([
      ['fs.existsSync', marked('test/issues/shared.cjs', 'test code: shared'), true],
      ['fs.readFileSync', marked('test/issues/one.cjs', 'test code: one'), true],
      ...(esm ? [['fs.readFileSync', marked('test/issues/two.mjs', 'test code: two'), true]] : []),
    ])
    expect(findings.filter((f) => !f.allowed).map((f) => [f.operation, at(f)])).toEqual([['fs.readFileSync', marked('test/issues/helper.cjs', 'not test code: helper')]])
  })

  test('a spec file’s configure() is said once a run (every worker’s included) to hold for the whole run', () => {
    expect(run.stderr.match(/a spec file changed loopcop's options as Mocha loaded it/g)).toHaveLength(1)
    expect(run.stderr).toContain('Configure in a set-up file listed in --require after loopcop/mocha')
  })
})

test('spec files that configure nothing are not said to', async () => {
  const run = await runMocha('definitions', ['--ignore', 'test/index.spec.cjs'], { name: 'definitions-no-configure', env: { LOOPCOP_TEST_CODE: 'allow' } })
  expect(run.json.stats).toMatchObject({ tests: 1, passes: 1, failures: 0 })
  expect(run.stderr).toContain('loopcop: no blocking of the event loop found')
  expect(run.stderr).not.toContain('changed loopcop')
}, 240_000)
