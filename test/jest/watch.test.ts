// Jest's watch mode starts a run for every change to a file it watches, the JSON files in a
// project's roots included: a loopcop JSON report written there would start the next run, and
// that run's report the next, for ever (found on koa's suite with LOOPCOP_REPORT=report.json).
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { assertInstalled, bins, fixtures } from '../helpers/run.js'

const fixture = join(fixtures, 'jest', 'basic')

/**
 * Runs `jest --watchAll` on the fixture until its first run has ended (Jest's "Ran all test
 * suites.", printed after loopcop's reporter has reported the run), then stops it; its stderr.
 */
function watchOnce(report: string): Promise<string> {
  assertInstalled()
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', REPORT_JSON: report }
  for (const key of Object.keys(env)) if (key.startsWith('LOOPCOP_') || key.startsWith('VITEST') || key === 'CI' || key === 'GITHUB_ACTIONS' || key === 'NODE_OPTIONS' || key === 'JEST_WORKER_ID') delete env[key]
  const cache = mkdtempSync(join(tmpdir(), 'loopcop-jest-watch-'))
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [bins.jest, '--watchAll', '--cacheDirectory', cache], { cwd: fixture, env: env as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'] })
    let stderr = ''
    const stop = setTimeout(() => child.kill('SIGKILL'), 180_000)
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
      if (stderr.includes('Ran all test suites.')) child.kill('SIGTERM')
    })
    child.on('error', fail)
    child.on('close', () => {
      clearTimeout(stop)
      rmSync(cache, { recursive: true, force: true })
      done(stderr)
    })
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
