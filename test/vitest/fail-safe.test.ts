// loopcop never makes a Vitest run greener than it would be without it: a configuration error stops
// the run (or every test file) before any test, and a report that cannot be written fails the run.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { bins, runNode } from '../helpers/run.js'
import { app } from './support.js'

const vitest = (args: readonly string[], env: Record<string, string>) => runNode(bins.vitest, ['run', '--pool=forks', ...args], { cwd: app, env, timeoutMs: 240_000 })

test('LOOPCOP_MODE=bogus with the reporter: the run stops at start-up, naming the variable', async () => {
  const run = await vitest(['--reporter=default', '--reporter=loopcop/vitest/reporter', 'test/allow.test.ts'], { LOOPCOP_MODE: 'bogus' })
  expect(run.code).toBe(1)
  expect(run.output).toContain('Expected `LOOPCOP_MODE` to be one of')
  expect(run.output).not.toContain('core-bundle') // the sentence, without loopcop's frames
  expect(run.output).not.toMatch(/Tests\s+\d+ passed/)
}, 240_000)

test('LOOPCOP_STALL_MS=abc with the setup file alone: every test file fails before its tests run, naming the variable', async () => {
  const run = await vitest(['--reporter=default', 'test/allow.test.ts', 'test/blocking.test.ts'], { LOOPCOP_STALL_MS: 'abc' })
  expect(run.code).toBe(1)
  expect(run.output).toContain('LOOPCOP_STALL_MS')
  expect(run.output).toMatch(/Test Files\s+2 failed/)
  expect(run.output).not.toMatch(/Tests\s+\d+ passed/)
}, 240_000)

test('a JSON report path that cannot be written (a folder) fails a run whose tests pass, saying why', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'loopcop-report-dir-'))
  const run = await vitest(['--reporter=default', '--reporter=loopcop/vitest/reporter', 'test/allow.test.ts', '-t', 'allows the operation it names'], { LOOPCOP_REPORT: dir })
  expect(run.output).toMatch(/Tests\s+1 passed/)
  expect(run.output).toContain(`loopcop: could not write the JSON report to ${dir}`)
  // Said as Vitest says a coverage threshold missed, not as a crash with loopcop's frames under it.
  expect(run.output).not.toContain('Unhandled Error')
  expect(run.output).not.toMatch(/❯ .*core-bundle\.js/)
  expect(run.code).toBe(1)
}, 240_000)
