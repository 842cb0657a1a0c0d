// Inputs a user does not expect to matter: a marked class, a frozen method, brace and command
// globs, an absurd setting, a report path that is a symbolic link, a spec file whose name holds a
// newline. Each is run through the real Mocha on the hardening fixture (issue 15, items 10–13).
import { cpSync, lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { describe, expect, onTestFinished, test } from 'vitest'
import type { JsonReport } from '../../src/index.js'
import { bins, fixtures, installed, runNode } from '../helpers/run.js'
import { mochaFixtures, runMocha } from './support.js'

const fixture = 'hardening'
const cwd = join(mochaFixtures, fixture)

/**
 * The installed package's own plugin file: when a `--require` throws, Mocha retries it with
 * `import()`, which ignores NODE_PATH and would hide loopcop's error (see fail-safe.test.ts).
 */
const plugin = join(installed, 'dist', 'cjs', 'integrations', 'mocha', 'index.js')

/** A temporary folder, removed when the test that made it ends. */
function temp(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Mocha with `--require`s of the fixture's own, for runs that stop before any test. */
function mochaStarting(requires: readonly string[], env: Record<string, string> = {}) {
  return runNode(bins.mocha, [...requires.flatMap((r) => ['--require', r]), '--reporter', 'dot', 'test/blocks.spec.js'], {
    cwd,
    env: { NODE_PATH: join(fixtures, 'node_modules'), LOOPCOP_STALL_MS: '0', ...env },
    timeoutMs: 180_000,
  })
}

describe('markAsBlocking() through Mocha', () => {
  test('a marked class keeps `new` working (instances, subclasses, statics); constructing it in a test fails that test', async () => {
    const run = await runMocha(fixture, ['--require', 'loopcop/mocha', '--require', './setup/mark-client.cjs', 'test/constructor.spec.js'], { name: 'constructor' })
    expect(run.failed).toEqual(['a marked class connects inside the test'])
    expect(run.json.stats).toMatchObject({ tests: 3, passes: 2, failures: 1 })
    const message = run.message('a marked class connects inside the test')
    expect(message).toContain('1 blocking operation on the event loop during "a marked class connects inside the test"')
    expect(message).toMatch(/driver\.connect blocked [\d.]+ ms — connect once, in a before\(\) hook/)
    expect(message).not.toContain('is not a constructor')
  })

  test('a frozen method is refused with a clear error that stops the run, never a raw "Cannot redefine property"', async () => {
    const run = await mochaStarting(['./setup/frozen.cjs', plugin])
    expect(run.code).not.toBe(0)
    expect(run.output).toContain(
      'Expected `target[query]` to be a method loopcop can replace, got a frozen one (read-only and non-configurable: `Object.freeze()`?) in markAsBlocking(); mark it before the object is frozen',
    )
    expect(run.output).not.toContain('Cannot redefine property')
    expect(run.output).not.toContain('passing')
  })
})

describe('settings and globs through Mocha', () => {
  test('LOOPCOP_STALL_MS of 400 digits (Infinity) stops the run like stallMs: Infinity', async () => {
    const run = await mochaStarting([plugin], { LOOPCOP_STALL_MS: '9'.repeat(400) })
    expect(run.code).not.toBe(0)
    expect(run.output).toContain('loopcop/mocha cannot start: Expected `LOOPCOP_STALL_MS` to be a number ≥ 0')
    expect(run.output).not.toContain('passing')
  })

  test('traceDepth: 1e9 stops the run, saying the range', async () => {
    const run = await mochaStarting([plugin, './setup/deep.cjs'])
    expect(run.code).not.toBe(0)
    expect(run.output).toContain('Expected `traceDepth` to be an integer from 1 to 100, got `1000000000` (number)')
    expect(run.output).not.toContain('passing')
  })

  test('brace globs allow either alternative; a command glob’s `*` crosses slashes', async () => {
    const run = await runMocha(fixture, ['--require', 'loopcop/mocha', '--require', './setup/globs.cjs', 'test/globs.spec.js'], { name: 'globs' })
    expect(run.failed).toEqual(['globs runs another command'])
    const allowedBy = run.report?.findings.filter((f) => f.allowed).map((f) => [f.operation, f.allowedBy])
    expect(allowedBy?.sort()).toEqual([
      ['child_process.execFileSync', '{"command":"* -e 0 *"}'],
      ['fs.existsSync', 'fs.{stat,exists}Sync'],
      ['fs.readFileSync', '{"operation":"fs.readFileSync","path":"**/*.{json,yml}"}'],
      ['fs.statSync', 'fs.{stat,exists}Sync'],
    ])
  })
})

describe('the JSON report through Mocha', () => {
  test('a symbolic link at the report path is replaced by the report, never followed; no temporary file is left', async () => {
    const dir = temp('loopcop-report-link-')
    const victim = join(dir, 'victim.txt')
    writeFileSync(victim, 'not a report\n')
    symlinkSync(victim, join(dir, 'link.json'))
    const run = await runMocha(fixture, ['--require', 'loopcop/mocha', 'test/blocks.spec.js'], { name: 'link', env: { LOOPCOP_REPORT: join(dir, 'link.json') } })
    expect(run.failed).toEqual(['an oddly named spec file blocks'])
    expect(readFileSync(victim, 'utf8')).toBe('not a report\n')
    expect(lstatSync(join(dir, 'link.json')).isSymbolicLink()).toBe(false)
    const json = JSON.parse(readFileSync(join(dir, 'link.json'), 'utf8')) as JsonReport
    expect(json.findings.map((f) => f.operation)).toEqual(['fs.readFileSync'])
    expect(readdirSync(dir).sort()).toEqual(['link.json', 'victim.txt'])
    // Its folder is still created when missing.
    const report = join(dir, 'reports', 'loopcop.json')
    const created = await runMocha(fixture, ['--require', 'loopcop/mocha', 'test/blocks.spec.js'], { name: 'created', env: { LOOPCOP_REPORT: report } })
    expect(created.code).toBe(1)
    expect((JSON.parse(readFileSync(report, 'utf8')) as JsonReport).summary.findings).toBe(1)
  })
})

describe('fs stubbed by the tests', () => {
  // handlebars under `--parallel`: its tests stub `fs.writeFileSync`, through which Node's
  // `appendFileSync` writes, and a worker's findings went to the stub: the tests failed over their
  // blocking calls, and the run summary and JSON report had none of them.
  test("a --parallel worker's findings reach the run report while a test has fs.writeFileSync stubbed, and the stub sees none of loopcop's writes", async () => {
    const run = await runMocha(fixture, ['--require', 'loopcop/mocha', '--parallel', '--jobs', '2', 'test/stubbed-writes.spec.js', 'test/blocks.spec.js'], { name: 'stubbed-writes' })
    expect(run.failed).toEqual(['an oddly named spec file blocks', 'fs.writeFileSync stubbed around each test blocks while the stub is in place'])
    // The stub saw only the test's own write (the second test checks), none of loopcop's.
    expect(run.json.stats).toMatchObject({ tests: 3, passes: 1, failures: 2 })
    expect(run.report?.findings.map((f) => [f.test?.name, f.operation, f.location?.file]).sort()).toEqual([
      ['an oddly named spec file blocks', 'fs.readFileSync', 'test/blocks.spec.js'],
      ['fs.writeFileSync stubbed around each test blocks while the stub is in place', 'fs.readFileSync', 'test/stubbed-writes.spec.js'],
    ])
    expect(run.report?.summary).toMatchObject({ findings: 2, tests: 2 })
  })
})

describe('spec files with odd names', () => {
  test('a newline, spaces, parentheses and colons in the file name: the blocking test still fails, at its own line', async () => {
    // A temporary copy: git and editors dislike a newline in a file name.
    const copy = temp('loopcop-odd-names-')
    cpSync(cwd, copy, { recursive: true })
    const template = readFileSync(join(cwd, 'test', 'blocks.spec.js'), 'utf8')
    const names = ['new\nline (1): odd.spec.js', 'spaces (and): colons.spec.js']
    for (const name of names) writeFileSync(join(copy, 'test', name), template.replace("describe('an oddly named spec file'", `describe(${JSON.stringify(name)}`))
    const run = await runMocha(relative(mochaFixtures, copy), ['--require', 'loopcop/mocha', ...names.map((n) => join('test', n))], { name: 'odd-names' })
    expect(run.failed).toEqual(names.map((n) => `${n} blocks`).sort())
    expect(run.json.stats).toMatchObject({ tests: 2, passes: 0, failures: 2 })
    expect(run.message('new\nline (1): odd.spec.js blocks')).toContain('fs.readFileSync(')
    expect(run.report?.findings.map((f) => [f.operation, f.allowed, f.location?.file, f.location?.line]).sort()).toEqual(
      names.map((n) => ['fs.readFileSync', false, `test/${n}`, 8]).sort(),
    )
    expect(run.stderr).not.toContain('no blocking of the event loop found')
  })
})
