// loopcop's options in the Vitest config (`test.provide.loopcop`), as the real Vitest runs them.
import { afterAll, describe, expect, test } from 'vitest'
import { bins, runNode } from '../helpers/run.js'
import { app, appLine, cleanRuns, marked, names, runFixture } from './support.js'

afterAll(cleanRuns)

const timeout = 240_000

describe('test.provide.loopcop', () => {
  test('configures every test file as configure() would: warn mode lets the blocking tests pass, each call site printed once', async () => {
    const run = await runFixture(['test/blocking.test.ts'], { env: { FIXTURE_PROVIDE: JSON.stringify({ mode: 'warn' }) }, report: true })
    expect(run.result.code).toBe(0)
    expect(names(run, 'failed')).toEqual([])
    const lines = run.result.output.split('\n').filter((line) => line.startsWith('loopcop (warn): new call site '))
    expect(lines.filter((line) => line.startsWith(`loopcop (warn): new call site src/app.ts:${appLine('readFileSync')}:`))).toHaveLength(1)
    // The reporter in the main process hears the workers' mode, as from a setup file's configure().
    const reported = run.report?.findings.filter((f) => !f.allowed) ?? []
    expect(new Set(reported.map((f) => f.test?.name))).toEqual(new Set(marked(run, 'blocks')))
    expect(new Set(reported.map((f) => f.mode))).toEqual(new Set(['warn']))
  }, timeout)

  test('allow rules given there allow the calls they name, and only those', async () => {
    const run = await runFixture(['test/blocking.test.ts'], { env: { FIXTURE_PROVIDE: JSON.stringify({ allow: ['fs.readFileSync'] }) }, report: true })
    const allowed = run.report?.findings.filter((f) => f.allowed && f.kind === 'sync-io' && f.allowedBy === 'fs.readFileSync') ?? []
    expect(allowed.length).toBeGreaterThan(0)
    const violations = run.report?.findings.filter((f) => !f.allowed && f.kind === 'sync-io') ?? []
    expect(violations.some((f) => f.kind === 'sync-io' && f.operation === 'fs.readFileSync')).toBe(false)
    // execSync is not allowed: its test still fails.
    expect(names(run, 'failed')).toContain('[blocks] shells out with execSync')
    expect(names(run, 'failed')).not.toContain('[blocks] reads its config synchronously')
  }, timeout)

  test("a setup file's configure() adds to them (a later option wins)", async () => {
    const run = await runFixture(['test/blocking.test.ts'], {
      env: { FIXTURE_PROVIDE: JSON.stringify({ mode: 'warn', allow: ['fs.readFileSync'] }), FIXTURE_CONFIGURE: JSON.stringify({ mode: 'fail' }) },
    })
    // mode 'fail' from the setup file; the provided allow rule stays.
    expect(names(run, 'failed')).toContain('[blocks] shells out with execSync')
    expect(names(run, 'failed')).not.toContain('[blocks] reads its config synchronously')
  }, timeout)

  test('a wrong option fails the run and names test.provide.loopcop and the option', async () => {
    const run = await runFixture(['test/blocking.test.ts'], { env: { FIXTURE_PROVIDE: JSON.stringify({ stallMs: 'soon' }) } })
    expect(run.result.code).not.toBe(0)
    expect(run.result.output).toContain('wrong options in test.provide.loopcop of the Vitest config')
    expect(run.result.output).toMatch(/`stallMs`/)
    expect(names(run, 'passed')).toEqual([])
  }, timeout)

  test("with loopcop's reporter, a wrong option stops the run before any test file, said once, with no frame of loopcop's (h3)", async () => {
    const run = await runNode(bins.vitest, ['run', '--reporter=default', '--reporter=loopcop/vitest/reporter', 'test/blocking.test.ts', 'test/allow.test.ts'], { cwd: app, env: { FIXTURE_PROVIDE: JSON.stringify({ operaton: 'x' }) }, timeoutMs: 120_000 })
    expect(run.code).not.toBe(0)
    const out = run.output
    // Where it was given is said once; the options listed are those `provide` takes (no `onFinding`: a function).
    expect(out).toMatch(/TypeError: loopcop: Unknown option `operaton` in test\.provide\.loopcop of the Vitest config\. Known options: mode, stallMs, stallMode, traceDepth, allow, moduleLoading, report, redact, testCode, baseline\n/)
    expect(out.split('Unknown option `operaton`').length - 1).toBe(1)
    expect(out).not.toContain('no test file was checked')
    expect(out).not.toMatch(/loopcop\/dist/)
    // No test file started.
    expect(out).not.toContain('blocking.test.ts')
  }, timeout)

  test("with loopcop's reporter, `onFinding` in the config's provide is refused with what to do instead", async () => {
    const run = await runNode(bins.vitest, ['run', '--reporter=default', '--reporter=loopcop/vitest/reporter', 'test/blocking.test.ts'], { cwd: app, env: { FIXTURE_PROVIDE: JSON.stringify({ onFinding: 'log' }) }, timeoutMs: 120_000 })
    expect(run.code).not.toBe(0)
    expect(run.output).toContain("TypeError: loopcop: `onFinding` cannot be given in test.provide.loopcop of the Vitest config: `provide` takes data to the test files, not functions. Call configure({ onFinding }) in a setup file listed after 'loopcop/vitest' in setupFiles.")
    expect(run.output).not.toContain('blocking.test.ts')
  }, timeout)

  test('an unknown option (a typo) fails the run, named with where it was given', async () => {
    const run = await runFixture(['test/blocking.test.ts'], { env: { FIXTURE_PROVIDE: JSON.stringify({ stalMs: 50 }) } })
    expect(run.result.code).not.toBe(0)
    expect(run.result.output).toContain('Unknown option `stalMs` in test.provide.loopcop')
    expect(names(run, 'passed')).toEqual([])
  }, timeout)
})
