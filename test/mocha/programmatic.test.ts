// Mocha's programmatic API (`new Mocha(options).run()`, a runner script of the project's own, as
// fs-extra's test.js is): Mocha registers no hooks of a module loaded with `node --require`, so
// loopcop/mocha loaded that way checks nothing. It says so at exit rather than let the run end as if
// it had found nothing; its hooks and global fixtures passed to Mocha, as README.md says, check
// every test as `--require loopcop/mocha` on Mocha's command line does.
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import type { JsonReport } from '../../src/index.js'
import { bins, fixtures, root, runNode } from '../helpers/run.js'
import { type MochaJson, mochaFixtures } from './support.js'

const cwd = join(mochaFixtures, 'programmatic')
const NEVER_HOOKED = "Mocha loaded spec files but never ran loopcop/mocha's root hooks nor its global set-up, so no test was checked"

const mochas = [
  { label: 'Mocha 12', pkg: join(root, 'node_modules', 'mocha') },
  { label: 'Mocha 11', pkg: join(root, 'node_modules', 'mocha11') },
]

async function run(pkg: string, name: string, { hooks, nodeArgs = [] }: { hooks: boolean; nodeArgs?: readonly string[] }) {
  const report = join(cwd, 'reports', `${name}.json`)
  rmSync(report, { force: true })
  const result = await runNode(join(cwd, 'run.cjs'), hooks ? ['--hooks'] : [], {
    cwd,
    env: { NODE_PATH: join(fixtures, 'node_modules'), MOCHA_PACKAGE: pkg, LOOPCOP_REPORT: report, LOOPCOP_STALL_MS: '0', LOOPCOP_TEST_CODE: 'check' },
    nodeArgs,
    timeoutMs: 180_000,
  })
  const json = JSON.parse(result.stdout) as MochaJson
  return { ...result, json, report: existsSync(report) ? (JSON.parse(readFileSync(report, 'utf8')) as JsonReport) : undefined }
}

describe.each(mochas)('$label', ({ label, pkg }) => {
  const name = label.replace(' ', '')

  test('loopcop/mocha loaded with `node --require` under the programmatic API says at exit that no test was checked, and how to pass its hooks', async () => {
    const r = await run(pkg, `${name}-unhooked`, { hooks: false, nodeArgs: ['--require', 'loopcop/mocha'] })
    // Unchecked: the blocking test passes, as it would without loopcop.
    expect(r.json.stats).toMatchObject({ tests: 2, passes: 2, failures: 0 })
    expect(r.code).toBe(0)
    expect(r.stderr).toContain(NEVER_HOOKED)
    expect(r.stderr).toContain('new Mocha({ rootHooks: mochaHooks, globalSetup: [mochaGlobalSetup], globalTeardown: [mochaGlobalTeardown] })')
    expect(r.report).toBeUndefined()
  })

  test("its hooks and global fixtures passed to `new Mocha()` check every test: the blocking one fails with loopcop's message, the run report holds it", async () => {
    const r = await run(pkg, `${name}-hooked`, { hooks: true })
    expect(r.json.stats).toMatchObject({ tests: 2, passes: 1, failures: 1 })
    expect(r.json.failures.map((f) => f.fullTitle)).toEqual(['programmatic a blocking test'])
    expect(r.json.failures[0]?.err.message).toContain('fs.readFileSync')
    expect(r.code).toBe(1)
    expect(r.stderr).not.toContain(NEVER_HOOKED)
    expect(r.report?.findings.map((f) => [f.operation, f.test?.name])).toEqual([['fs.readFileSync', 'programmatic a blocking test']])
    // The runner script loads loopcop itself, so it is loaded first by necessity: no load-order
    // warning (handlebars' runner, loopcop/mocha on its first line, was told to load it first).
    expect(r.stderr).not.toContain('loaded before loopcop/mocha')
  })
})

test('a run of the command line (`--require loopcop/mocha`) never says it, --dry-run included', async () => {
  for (const extra of [[], ['--dry-run']]) {
    const r = await runNode(bins.mocha, ['--require', 'loopcop/mocha', '--reporter', 'dot', ...extra, 'test/*.spec.js'], {
      cwd,
      env: { NODE_PATH: join(fixtures, 'node_modules'), LOOPCOP_STALL_MS: '0', LOOPCOP_TEST_CODE: 'check', LOOPCOP_MODE: 'warn' },
      timeoutMs: 180_000,
    })
    expect(r.code).toBe(0)
    expect(r.stderr).not.toContain(NEVER_HOOKED)
  }
})
