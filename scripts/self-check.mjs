// `npm run test:self`: runs the project's own suite with loopcop/vitest on itself
// (vitest.self.config.ts: blocking calls not enforced, stalls fail the test) and judges the stall
// findings of its run report. Every stall charged to a test must be one the test really makes
// outside any detect()/matcher scope (those scopes keep their own findings): the known ones are
// listed in EXPECTED with the reason; any other is a false stall, and the check fails.
// Test failures are listed but do not fail the check: some tests assert on scope behaviour and
// may fail under the enclosing test scope.
import { spawnSync } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const report = join(root, '.loopcop', 'self-report.json')
const results = join(root, '.loopcop', 'self-results.json')

/** Stalls a test makes on purpose outside any detect() scope: `file > test name` → why. */
const EXPECTED = new Map([
  [
    'test/stall/stall.test.ts > stall detection > JSON.parse of a large payload is a stall with the calling function on the stack',
    'builds its 400,000-item payload (Array.from + JSON.stringify, ~200 ms of CPU) in the test body, before its detect()',
  ],
])

rmSync(report, { force: true })
rmSync(results, { force: true })
const run = spawnSync(process.execPath, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--config', 'vitest.self.config.ts'], { cwd: root, stdio: 'inherit' })

const read = (path) => {
  try {
    return JSON.parse(readFileSync(path, 'utf8'))
  } catch (error) {
    console.error(`self-check: no ${path} (vitest exited with ${run.status ?? run.signal}): ${error.message}`)
    process.exit(2)
  }
}
const { findings, summary } = read(report)
const { numTotalTests, numFailedTests, testResults } = read(results)

console.log(`\nself-check: ${numTotalTests} tests, ${numFailedTests} failed; loopcop report: ${summary.findings} findings`)
for (const file of testResults) {
  for (const t of file.assertionResults.filter((a) => a.status === 'failed')) {
    const why = (t.failureMessages[0] ?? '').split('\n')[0]
    console.log(`  failed: ${file.name.slice(root.length + 1)} > ${[...t.ancestorTitles, t.title].join(' > ')}\n          ${why}`)
  }
}

const stalls = findings.filter((f) => f.kind === 'stall')
const others = findings.filter((f) => f.kind !== 'stall')
let unexpected = 0
console.log(`self-check: ${stalls.length} stall finding${stalls.length === 1 ? '' : 's'} charged to tests${others.length > 0 ? `, ${others.length} other (not judged)` : ''}`)
for (const f of stalls) {
  const key = `${f.test?.file} > ${f.test?.name}`
  const reason = EXPECTED.get(key)
  if (reason === undefined) unexpected++
  const where = f.location === undefined ? 'no stack' : `${f.location.file}:${f.location.line}`
  console.log(`  ${reason === undefined ? 'FALSE?' : 'real  '} ${f.durationMs} ms${f.leak ? ' (leak)' : ''} in ${key} at ${where}${reason === undefined ? '' : ` — ${reason}`}`)
  for (const frame of f.stack.slice(0, 4)) console.log(`           ${frame}`)
}
console.log(unexpected === 0 ? 'self-check: no false stall' : `self-check: ${unexpected} stall${unexpected === 1 ? '' : 's'} not known to be real`)
process.exit(unexpected === 0 ? 0 : 1)
