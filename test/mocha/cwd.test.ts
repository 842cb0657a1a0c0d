// Tests that move the working directory (ESLint's CLI tests chdir into fixture folders and replace
// process.cwd): a relative allow rule stopped matching, the baseline was looked for in the fixture
// folder, and a stub that throws failed the test from inside loopcop, in warn mode too.
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { mochaFixtures, runMocha } from './support.js'

const moved = (title: string) => `a test that moves the working directory ${title}`

test('warn mode: no outcome changes, and loopcop never calls a process.cwd a test put there', async () => {
  const run = await runMocha('cwd', [], { name: 'cwd-warn', env: { LOOPCOP_MODE: 'warn' } })
  expect(run.failed, run.output).toEqual([])
  expect(run.code).toBe(0)
})

test('fail mode: a relative allow rule and the paths shown are the project’s, wherever the test moved the working directory', async () => {
  const run = await runMocha('cwd', [], { name: 'cwd-fail' })
  expect(run.failed, run.output).toEqual([moved('changes to a fixture folder, and calls code no rule names'), 'a test that stubs process.cwd spies on it, and calls code no rule names'])
  expect(run.message(moved('changes to a fixture folder, and calls code no rule names'))).toMatch(/readConfig \(src\/app\.js:\d+:\d+\)/)
  const findings = run.report?.findings ?? []
  expect(findings.filter((f) => !f.allowed).map((f) => `${f.test?.name} | ${f.location?.file}`).sort()).toEqual([
    `${moved('changes to a fixture folder, and calls code no rule names')} | src/app.js`,
    'a test that stubs process.cwd spies on it, and calls code no rule names | src/app.js',
  ])
  expect(findings.filter((f) => f.allowed).map((f) => f.allowedBy)).toEqual(['{"caller":"src/allowed.js"}', '{"caller":"src/allowed.js"}', '{"caller":"src/allowed.js"}'])
})

test('a baseline at a relative path is the project’s: written by one run, it makes the next pass', async () => {
  const baseline = 'reports/cwd-baseline.json'
  // An earlier run's file holding the same entries would be left as it was, and said so.
  rmSync(join(mochaFixtures, 'cwd', baseline), { force: true })
  const write = await runMocha('cwd', [], { name: 'cwd-baseline-write', env: { LOOPCOP_MODE: 'warn', LOOPCOP_UPDATE_BASELINE: '1', LOOPCOP_BASELINE: baseline } })
  expect(write.output).toContain('loopcop: baseline written to reports/cwd-baseline.json')
  const known = await runMocha('cwd', [], { name: 'cwd-baseline-known', env: { LOOPCOP_BASELINE: baseline } })
  expect(known.failed, known.output).toEqual([])
  expect(known.output).not.toContain('could not read the baseline file')
  expect(known.report?.summary.baselined).toBe(2)
})
