// A Jest transformer of the project's own (`transform` naming a file of the repo), which reads a file
// as it transforms: Jest's module loading calls it when a test requires a module, and what it does
// is Jest's, as babel-jest's is. ts-jest's own suite, which transforms with its dist/, failed three
// tests in fail mode whenever Jest's transform cache was cold (each run here starts with an empty one).
import { expect, test } from 'vitest'
import { runJest } from './support.js'

test("a module required inside a test and transformed by the project's own transformer is no finding of the test's; the code under test's call still is", async () => {
  const run = await runJest('transformer')
  expect(run.failed, run.output).toEqual(['[blocks] reads a file through the code under test'])
  expect(run.passed).toEqual(["[clean] requires a module inside the test, which the project's own transformer transforms"])
  expect(run.report?.findings.map((f) => [f.test?.name, f.operation, f.location?.file, f.allowed])).toEqual([['[blocks] reads a file through the code under test', 'fs.readFileSync', 'src/store.js', false]])
  expect(run.output).not.toContain('transform/version.cjs')
}, 240_000)
