// Vite is a library the code under test may call itself: only its module runner is Vitest's machinery.
import { afterAll, expect, test } from 'vitest'
import { appLine, cleanRuns, marked, names, outcome, runFixture } from './support.js'

afterAll(cleanRuns)

test("the code under test calling Vite's loadEnv fails its test, with vite as the package that made the call; the module runner's imports do not", async () => {
  const run = await runFixture(['test/vite-api.test.ts'], { report: true })
  expect(names(run, 'failed')).toEqual(marked(run, 'blocks'))
  expect(names(run, 'passed')).toEqual(marked(run, 'clean'))
  expect(outcome(run, '[blocks] reads .env files with Vite loadEnv').failure).toMatch(/called by the package vite from src\/env\.ts/)
  const findings = run.report?.findings.filter((f) => !f.allowed) ?? []
  expect(findings.length).toBeGreaterThan(0)
  for (const f of findings) {
    expect([f.test?.name, f.offender?.package, f.location?.file, f.location?.line]).toEqual(['[blocks] reads .env files with Vite loadEnv', 'vite', 'src/env.ts', appLine('loadEnv', 'env.ts')])
  }
  expect(findings.map((f) => f.operation)).toContain('fs.readFileSync')
}, 240_000)

test("in warn mode the test passes, the line printed for the new call site names vite as the package that made the call, and the run summary says what to do about vite's calls", async () => {
  const run = await runFixture(['test/vite-api.test.ts'], { env: { LOOPCOP_MODE: 'warn' }, report: true })
  expect(run.result.code, run.result.output).toBe(0)
  const lines = run.result.output.split('\n').filter((line) => line.startsWith('loopcop (warn): new call site src/env.ts:'))
  expect(lines.length).toBeGreaterThan(0)
  // (Where later calls go is said on the run's first line only, which may be another file's.)
  for (const line of lines) expect(line).toMatch(/\(in "\[blocks\] reads \.env files with Vite loadEnv"; called by the package vite(?:; later calls .*)?\)$/)
  // The summary's advice under each site: fs.promises in place of vite's own call is not the user's to make.
  const output = run.result.output.split('\n')
  const sites = output.flatMap((line, i) => (/^ {2}fs\.\w+ at src\/env\.ts:\d+:\d+ \(called by the package vite\)/.test(line) ? [output[i + 1]] : []))
  expect(sites.length, run.result.output).toBeGreaterThan(0)
  for (const advice of sites) expect(advice).toMatch(/^ {6}use fs\.promises\.\w+.* — in vite's code, not yours: use an async API of vite where there is one, or run the work in a worker thread; `\{ package: 'vite' \}` allows it$/)
}, 240_000)
