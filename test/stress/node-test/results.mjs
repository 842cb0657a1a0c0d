// A node:test reporter for the stress harness (scripts/stress.mjs): the top-level tests of the run
// with their outcome and duration, written at the end to the file named by STRESS_RESULTS in the
// shape of Jest's `--json` results (`testResults[].assertionResults[]`), which scripts/lib/results.mjs
// reads. A test file that failed to run is a failed entry named after the file.
import { writeFileSync } from 'node:fs'

export default async function* results(source) {
  const byFile = new Map()
  for await (const event of source) {
    if ((event.type !== 'test:pass' && event.type !== 'test:fail') || event.data.nesting !== 0) continue
    const file = event.data.file ?? '(unknown file)'
    const tests = byFile.get(file) ?? []
    byFile.set(file, tests)
    const error = event.data.details?.error
    tests.push({
      title: event.data.name,
      status: event.type === 'test:pass' ? 'passed' : 'failed',
      duration: event.data.details?.duration_ms ?? 0,
      failureMessages: error === undefined ? [] : [`${error.cause?.message ?? error.message ?? String(error)}`],
    })
  }
  const testResults = [...byFile].map(([name, assertionResults]) => ({ name, message: '', assertionResults }))
  writeFileSync(process.env.STRESS_RESULTS, JSON.stringify({ testResults }))
  yield ''
}
