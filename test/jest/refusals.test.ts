// `mode: 'throw'` refuses a blocking call where it is made. Code under test may catch a refusal (a
// `try` around a `realpathSync`, as commander's executable lookup has) and go on to a call whose
// refusal fails the test: the caught one was named only in the run summary, not in the test's
// failure. Each refusal is named in the test's failure once: the one the test threw, and loopcop's
// error for the ones the code caught.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { fixtures } from '../helpers/run.js'
import { runJest } from './support.js'

const refused = (operation: string): RegExp => new RegExp(`${operation.replace('.', '\\.')}\\("[^"]*config\\.js"\\) — refused before it ran \\(mode: throw\\)`, 'g')

test('a refusal the code caught is named beside the refusal that failed the test; each once', async () => {
  const run = await runJest('refusals')
  expect(run.failed, run.output).toEqual(['a refusal the code caught, then one that fails the test', 'both refusals caught by the code'])
  const messages = run.test('a refusal the code caught, then one that fails the test').failureMessages
  const all = messages.join('\n')
  // The refusal the test threw, at its call, and loopcop's error at the test's end for the caught one.
  expect(all.match(refused('fs.existsSync')), all).toHaveLength(1)
  expect(all.match(refused('fs.realpathSync')), all).toHaveLength(1)
  expect(messages).toHaveLength(2)
  // A test whose code caught both: loopcop's one error names both, as before.
  const caught = run.test('both refusals caught by the code').failureMessages.join('\n')
  expect(caught.match(refused('fs.existsSync'))).toHaveLength(1)
  expect(caught.match(refused('fs.realpathSync'))).toHaveLength(1)
  expect(run.passed).toEqual(['reads a fixture in its own body'])
  // The run report has each refused call once, and the call the "test code" rule let run at its line,
  // as in `fail` mode (pug: under `throw` such calls had no place in the report).
  const found = (run.report?.findings ?? []).filter((f) => !f.allowed).map((f) => [f.test?.name, f.operation, f.location?.line]).sort()
  expect(found).toEqual([
    ['a refusal the code caught, then one that fails the test', 'fs.existsSync', 14],
    ['a refusal the code caught, then one that fails the test', 'fs.realpathSync', 10],
    ['both refusals caught by the code', 'fs.existsSync', 14],
    ['both refusals caught by the code', 'fs.realpathSync', 10],
  ])
  const allowed = (run.report?.findings ?? []).filter((f) => f.allowed).map((f) => [f.test?.name, f.operation, f.location?.file, f.location?.line, f.testCode, f.unstacked === true])
  const line = readFileSync(join(fixtures, 'jest', 'refusals', 'tests', 'refusals.test.js'), 'utf8').split('\n').findIndex((l) => l.includes('// test code: read')) + 1
  expect(allowed).toEqual([['reads a fixture in its own body', 'fs.readFileSync', 'tests/refusals.test.js', line, true, false]])
}, 240_000)
