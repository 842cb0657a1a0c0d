// Jest's watch mode starts a run for every change to a file it watches, the JSON files in a
// project's roots included: a loopcop JSON report written there would start the next run, and
// that run's report the next, for ever (found on koa's suite with LOOPCOP_REPORT=report.json).
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { assertInstalled, bins, childEnv, fixtures, killGroup, startChild } from '../helpers/run.js'

const fixture = join(fixtures, 'jest', 'basic')

/**
 * Runs `jest --watchAll` on the fixture with `extra` in its environment until `done(stderr, runs)`
 * (runs: how many runs have ended, by Jest's "Ran all test suites.", printed after loopcop's
 * reporter has reported the run) says to stop; its stderr.
 */
function watch(extra: Record<string, string>, done: (stderr: string, runs: number, stop: () => void) => void): Promise<string> {
  assertInstalled()
  const env = childEnv({ CI: undefined, ...extra })
  const cache = mkdtempSync(join(tmpdir(), 'loopcop-jest-watch-'))
  return new Promise((resolve, fail) => {
    const child = startChild(process.execPath, [bins.jest, '--watchAll', '--cacheDirectory', cache], { cwd: fixture, env, stdin: 'pipe' })
    let stderr = ''
    const stop = (): void => void child.kill('SIGTERM')
    const killer = setTimeout(() => killGroup(child), 180_000)
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
      done(stderr, stderr.split('Ran all test suites.').length - 1, stop)
    })
    child.on('error', fail)
    child.on('close', () => {
      clearTimeout(killer)
      rmSync(cache, { recursive: true, force: true })
      resolve(stderr)
    })
  })
}

/** `jest --watchAll` until its first run has ended. */
function watchOnce(report: string): Promise<string> {
  return watch({ REPORT_JSON: report }, (_stderr, runs, stop) => {
    if (runs >= 1) stop()
  })
}

test('a report Jest would watch is not written in watch mode, and loopcop says why', async () => {
  const report = join('reports', 'watched-loopcop.json')
  rmSync(join(fixture, report), { force: true })
  const stderr = await watchOnce(report)
  expect(stderr).toContain(`loopcop: the JSON report is not written in watch mode: Jest watches ${report}, and writing it would start the next run`)
  expect(stderr).toMatch(/loopcop: \d+ blocking calls at \d+ call sites/)
  expect(existsSync(join(fixture, report))).toBe(false)
}, 240_000)

test('a report outside what Jest watches is written in watch mode', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'loopcop-jest-watch-report-'))
  const report = join(dir, 'loopcop.json')
  const stderr = await watchOnce(report)
  expect(stderr).not.toContain('is not written in watch mode')
  expect(stderr).toMatch(/loopcop: \d+ blocking calls at \d+ call sites/)
  expect(existsSync(report)).toBe(true)
  rmSync(dir, { recursive: true, force: true })
}, 240_000)

test('a baseline update in watch mode writes the baseline once: a run that would write the same leaves it, so no run starts the next for ever', async () => {
  const baseline = join('reports', 'watched-baseline.json')
  rmSync(join(fixture, baseline), { force: true })
  // The folder exists before Jest starts watching: a file made in a folder made later is not seen
  // (a fresh clone has no reports/).
  mkdirSync(join(fixture, 'reports'), { recursive: true })
  let quiet: ReturnType<typeof setTimeout> | undefined
  // Two runs: the first writes the baseline (a change Jest sees, so a second run starts), the
  // second finds it as it would write it. A third run would be the loop; after the second, a pause
  // long enough for Jest to have started the next (it started each within a second when looping).
  // The second run is waited for, not timed: on a loaded machine (CI) Jest took over 10 s to start it.
  let seen = 0
  const stderr = await watch({ LOOPCOP_UPDATE_BASELINE: '1', LOOPCOP_BASELINE: baseline }, (_stderr, runs, stop) => {
    if (runs === seen) return
    seen = runs
    clearTimeout(quiet)
    quiet = runs >= 3 ? undefined : setTimeout(stop, runs === 1 ? 90_000 : 10_000)
    if (runs >= 3) stop()
  })
  clearTimeout(quiet)
  expect(stderr.split('Ran all test suites.').length - 1).toBe(2)
  expect(stderr.match(/loopcop: baseline written to /g)).toHaveLength(1)
  expect(stderr).toContain(`loopcop: baseline ${baseline} already holds what this run would write, left as it was`)
  expect(existsSync(join(fixture, baseline))).toBe(true)
  rmSync(join(fixture, baseline), { force: true })
}, 240_000)
