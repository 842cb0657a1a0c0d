import { spawn } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { bins, childEnv, fixtures, runNode } from '../helpers/run.js'
import { mochaFixtures, runMocha } from './support.js'

/** Runs Mocha on the dots fixture with stdout and stderr on one file, as a terminal or a CI log shows them: what it printed, in order. */
async function runInterleaved(args: readonly string[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'loopcop-interleaved-'))
  const path = join(dir, 'output.txt')
  const fd = openSync(path, 'w')
  try {
    const env = childEnv({ NODE_PATH: join(fixtures, 'node_modules'), LOOPCOP_MODE: 'warn', LOOPCOP_STALL_MS: '0', LOOPCOP_TEST_CODE: 'check' })
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, [bins.mocha, ...args], { cwd: join(mochaFixtures, 'dots'), env, stdio: ['ignore', fd, fd] })
      child.on('error', reject)
      child.on('close', resolve)
    })
    const output = readFileSync(path, 'utf8')
    expect(code, output).toBe(0)
    return output
  } finally {
    closeSync(fd)
    rmSync(dir, { recursive: true, force: true })
  }
}

// The modes fixture: a test that blocks, one that swallows what a blocking call threw, a clean one.
describe('modes (LOOPCOP_MODE)', () => {
  test("fail (the default): the blocking tests fail at their end, the clean one passes", async () => {
    const run = await runMocha('modes', [], { name: 'modes-fail' })
    expect(run.failed).toEqual(['modes blocks', 'modes swallows what the blocking call threw'])
    expect(run.json.stats).toMatchObject({ passes: 1, failures: 2 })
    expect(run.message('modes blocks')).toMatch(/fs\.readFileSync\(".*package\.json"\) blocked [\d.]+ ms — use fs\.promises\.readFile\n\s+at readName \(src\/app\.js:7:/)
  })

  test("the spec reporter prints a failure's findings under its message, not at the indent of Mocha's own numbered failures", async () => {
    const run = await runNode(bins.mocha, ['--reporter', 'spec'], { cwd: join(mochaFixtures, 'modes'), env: { NODE_PATH: join(fixtures, 'node_modules'), LOOPCOP_STALL_MS: '0', LOOPCOP_TEST_CODE: 'check' } })
    expect(run.code, run.stderr).toBe(2)
    expect(run.stdout).toMatch(/\n {2}1\) modes\n {7}blocks:\n {5}BlockingIOError: 1 blocking operation on the event loop during "modes blocks"\n {7}1\) fs\.readFileSync\(".*package\.json"\) blocked [\d.]+ ms — use fs\.promises\.readFile\n {12}at readName \(src\/app\.js:7:21\)\n {12}at Context\.<anonymous> \(test\/modes\.spec\.js:7:15\)\n {5}Allow it with allowBlocking\(\)/)
    // Mocha's own numbered failures are the only lines at two spaces that read `n) `.
    expect(run.stdout.match(/^ {2}\d+\) /gm)).toEqual(['  1) ', '  2) '])
  })

  test('warn: every test passes, a call site is printed once with its line (the first test that reached it), and the run report still lists every test', async () => {
    const run = await runMocha('modes', [], { name: 'modes-warn', env: { LOOPCOP_MODE: 'warn' } })
    expect(run.failed).toEqual([])
    expect(run.json.stats).toMatchObject({ passes: 3, failures: 0 })
    expect(run.code).toBe(0)
    // Both blocking tests call readName (src/app.js:7): one line, naming the first of them.
    const lines = run.stderr.split('\n').filter((line) => line.startsWith('loopcop (warn):'))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^loopcop \(warn\): new call site src\/app\.js:7:\d+ fs\.readFileSync\(".*package\.json"\) blocked [\d.]+ ms — use fs\.promises\.readFile \(in "modes blocks"; /)
    expect(run.report?.summary).toMatchObject({ findings: 2, tests: 2 })
    expect(run.report?.findings.map((f) => [f.test?.name, `${f.location?.file}:${f.location?.line}`, f.mode])).toEqual([
      ['modes blocks', 'src/app.js:7', 'warn'],
      ['modes swallows what the blocking call threw', 'src/app.js:7', 'warn'],
    ])
  })

  test('throw: the blocking call throws before it runs; a test that swallows it still fails', async () => {
    const run = await runMocha('modes', [], { name: 'modes-throw', env: { LOOPCOP_MODE: 'throw' } })
    expect(run.failed).toEqual(['modes blocks', 'modes swallows what the blocking call threw'])
    expect(run.json.stats).toMatchObject({ passes: 1, failures: 2 })
    for (const title of run.failed) {
      expect(run.message(title)).toContain('refused before it ran (mode: throw)')
      expect(run.message(title)).toContain('at readName (src/app.js:7:')
    }
    // The raised call is reported once, not again at the end of the test that failed with it.
    expect(run.report?.summary).toMatchObject({ findings: 2, tests: 2, calls: 2 })
  })

  test('off: nothing is checked', async () => {
    const run = await runMocha('modes', [], { name: 'modes-off', env: { LOOPCOP_MODE: 'off' } })
    expect(run.json.stats).toMatchObject({ passes: 3, failures: 0 })
    expect(run.stderr).toContain('loopcop: no blocking of the event loop found')
  })
})

// Mocha's dot reporter writes a run's dots on one line, ended with the run: a line of loopcop's
// printed as a test ends starts on a line of its own, in the main process and in `--parallel` workers.
describe('warn lines under a reporter that writes its progress on one line', () => {
  for (const args of [['--reporter', 'dot'], ['--parallel', '--jobs', '2', '--reporter', 'dot'], ['--reporter', './dot-subclass.cjs']]) {
    test(args.join(' '), async () => {
      const output = await runInterleaved(args)
      const lines = output.split('\n').filter((line) => line.includes('loopcop (warn):'))
      expect(lines, output).toHaveLength(1)
      expect(lines[0], output).toMatch(/^loopcop \(warn\): new call site src\/app\.js:7:\d+ fs\.readFileSync\(.* \(in "second file blocks"; /)
      // Mocha's own lines are whole: its five dots on lines of dots alone, and its count.
      const dots = output.split('\n').filter((line) => /^\s*\.+$/.test(line))
      expect(dots.join('').replace(/\s/g, ''), output).toBe('.....')
      expect(output).toContain('5 passing')
    })
  }

  // Mocha's `list` (adm-zip's reporter) writes a test's title as it starts and ends that line as it ends.
  test('--reporter list', async () => {
    const output = await runInterleaved(['--reporter', 'list'])
    const all = output.split('\n')
    // Mocha's lines and loopcop's while tests run (the run summary follows Mocha's count).
    const lines = all.slice(0, all.findIndex((line) => line.includes('passing')))
    const warned = lines.filter((line) => line.includes('loopcop (warn):'))
    expect(warned, output).toHaveLength(1)
    expect(warned[0], output).toMatch(/^loopcop \(warn\): new call site src\/app\.js:7:\d+ fs\.readFileSync\(/)
    expect(lines.filter((line) => /second file blocks/.test(line) && !line.startsWith('loopcop')).map((line) => line.replace(/\d+ms/, 'Nms').trim()), output).toEqual([
      expect.stringMatching(/second file blocks:$/) as string,
      expect.stringMatching(/✔ .*second file blocks: Nms$/) as string,
    ])
    expect(output).toContain('5 passing')
  })

  test("a --parallel run with another reporter, started from a dot run (its variable inherited), prints no line break of the other's", async () => {
    const run = await runMocha('dots', ['--parallel', '--jobs', '2'], { name: 'dots-inherited', env: { LOOPCOP_MODE: 'warn', LOOPCOP_MOCHA_INLINE: '1' } })
    expect(run.json.stats).toMatchObject({ passes: 5, failures: 0 })
    expect(run.stderr).toMatch(/^loopcop \(warn\): new call site src\/app\.js:7:/m)
    expect(run.stderr).not.toMatch(/\n\nloopcop \(warn\)|^\nloopcop/)
  })
})

// loopcop's warn-mode lines go to stderr, but never through a test's stub of process.stderr.write.
test('a suite stubbing process.stderr.write captures none of loopcop’s lines, and does not swallow them', async () => {
  const run = await runMocha('stderr-spy', [], { name: 'stderr-spy', env: { LOOPCOP_MODE: 'warn' } })
  expect(run.failed, run.output).toEqual([])
  expect(run.json.stats).toMatchObject({ passes: 4, failures: 0 })
  expect(run.stderr).toMatch(/^loopcop \(warn\): new call site src\/app\.js:7:\d+ fs\.readFileSync\(/m)
  expect(run.stderr).toMatch(/^loopcop \(warn\): new call site test\/spy\.spec\.js:\d+:\d+ child_process\.execSync\(/m)
  // Where a site's later calls go is said once, on the run's first line (c12: 23 lines each ending with it).
  const said = run.stderr.split('\n').filter((line) => line.startsWith('loopcop (warn): new call site '))
  expect(said.map((line) => line.endsWith('; later calls from here are counted in the run summary and JSON report)'))).toEqual([true, false])
})
