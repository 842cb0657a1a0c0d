// The tests a runner's JSON results list, whatever the runner: Vitest's and Jest's `--json`
// (`testResults[].assertionResults[]`), Mocha's `--reporter json`. Used by the version matrix,
// the package-manager smoke runs and the stress harness.
import { readFileSync } from 'node:fs'

/**
 * `{ name, status, failure, durationMs }` of every test in the JSON results file at `path`.
 * `status` is the runner's (`passed`, `failed`, …); Mocha tests that neither passed nor failed are
 * `other`; a failing Mocha hook or a file that did not load is a `failed` entry of its own, a Vitest
 * file error a `file-error` entry.
 */
export function readTests(runner, path) {
  const json = JSON.parse(readFileSync(path, 'utf8'))
  if (runner === 'mocha') {
    const passed = new Set(json.passes.map((t) => `${t.file}\0${t.fullTitle}`))
    const tests = json.tests.map((t) => ({
      name: t.title,
      status: passed.has(`${t.file}\0${t.fullTitle}`) ? 'passed' : t.err?.message !== undefined ? 'failed' : 'other',
      failure: t.err?.message !== undefined ? `${t.err.message}\n${t.err.stack ?? ''}` : '',
      durationMs: t.duration ?? 0,
    }))
    for (const f of json.failures) {
      if (!json.tests.some((t) => t.fullTitle === f.fullTitle && t.file === f.file)) tests.push({ name: `(${f.fullTitle})`, status: 'failed', failure: `${f.err?.message ?? ''}\n${f.err?.stack ?? ''}`, durationMs: 0 })
    }
    return tests
  }
  const tests = []
  for (const file of json.testResults) {
    const own = file.assertionResults.map((t) => ({ name: t.title, status: t.status, failure: (t.failureMessages ?? []).join('\n'), durationMs: t.duration ?? 0 }))
    // Vitest's `message` is an error of the file itself; Jest's repeats its tests' failures too.
    if (file.message && !own.some((t) => t.status === 'failed')) tests.push({ name: `(file ${file.name})`, status: 'file-error', failure: file.message, durationMs: 0 })
    tests.push(...own)
  }
  return tests
}
