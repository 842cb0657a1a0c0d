// A file the test file loads that defines tests itself (pug's test/run-utils.js calls `it`, and the
// test bodies are there) is a file of tests: the "test code" rule allows its own blocking calls, as
// under Mocha. Before, only the running test's own file counted under Jest, and pug's fixture reads
// in those bodies failed 186 tests. A helper that defines no test is still code under test.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { fixtures } from '../helpers/run.js'
import { runJest } from './support.js'

const line = (file: string, mark: string): number =>
  readFileSync(join(fixtures, 'jest', 'defined', 'support', file), 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(mark)) + 1

test('tests defined in a support file are test code there; a helper that defines none is not', async () => {
  const run = await runJest('defined')
  expect(run.passed, run.output).toEqual(['case one reads its fixture', 'case two reads its fixture'])
  expect(run.failed).toEqual(['a helper that defines no test reads'])
  expect(run.test('a helper that defines no test reads').failureMessages.join('\n')).toContain('fs.readFileSync(')
  const found = (run.report?.findings ?? []).map((f) => [f.test?.name, f.location?.file, f.location?.line, f.allowed, f.allowedBy ?? null]).sort()
  expect(found).toEqual([
    ['a helper that defines no test reads', 'support/read.js', line('read.js', '// helper: read'), false, null],
    ['case one reads its fixture', 'support/cases.js', line('cases.js', '// defined: read'), true, 'test code'],
    ['case two reads its fixture', 'support/cases.js', line('cases.js', '// defined: read'), true, 'test code'],
  ])
}, 240_000)
