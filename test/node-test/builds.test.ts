import { beforeAll, describe, expect, test } from 'vitest'
import { type NodeMajor, type NodeTestRun, runNodeTest } from './support.js'

// A CommonJS project loads loopcop with `--require`: the CommonJS build, in every test process
// (and in the process that starts them, which must stay out of it), alone or next to the ES module build.
const setups: { readonly label: string; readonly node: NodeMajor; readonly isolation?: 'process' | 'none'; readonly direct?: boolean; readonly preload: readonly (string | { require: string })[] }[] = [
  { label: '--require, Node 20', node: 20, preload: [{ require: 'loopcop/node-test' }, { require: './loopcop.setup.cjs' }] },
  { label: '--require, Node 24', node: 24, preload: [{ require: 'loopcop/node-test' }, { require: './loopcop.setup.cjs' }] },
  { label: '--require, Node 22, --test-isolation=none', node: 22, isolation: 'none', preload: [{ require: 'loopcop/node-test' }, { require: './loopcop.setup.cjs' }] },
  { label: '--require, Node 26, --test-isolation=none', node: 26, isolation: 'none', preload: [{ require: 'loopcop/node-test' }, { require: './loopcop.setup.cjs' }] },
  { label: 'both builds (--require and --import), Node 20', node: 20, preload: [{ require: 'loopcop/node-test' }, 'loopcop/node-test', { require: './loopcop.setup.cjs' }] },
  { label: 'both builds, Node 22, --test-isolation=none', node: 22, isolation: 'none', preload: ['loopcop/node-test', { require: 'loopcop/node-test' }, { require: './loopcop.setup.cjs' }] },
  { label: 'node --require loopcop/node-test test/app.test.js (no --test), Node 20', node: 20, direct: true, preload: [{ require: 'loopcop/node-test' }, { require: './loopcop.setup.cjs' }] },
  { label: 'node --import loopcop/node-test test/app.test.js (no --test), Node 26', node: 26, direct: true, preload: ['loopcop/node-test', { require: './loopcop.setup.cjs' }] },
]

for (const setup of setups) {
  describe(`${setup.label}`, () => {
    let run: NodeTestRun
    beforeAll(async () => {
      run = await runNodeTest('cjs', {
        name: `builds-${setup.label.replace(/\W+/g, '-')}`,
        node: setup.node,
        ...(setup.isolation !== undefined && { isolation: setup.isolation }),
        ...(setup.direct === true && { direct: true, files: ['test/app.test.js'] }),
        preload: setup.preload,
      })
    })

    test('the blocking test fails once, with the BlockingIOError; the others pass', () => {
      expect(run.failed, run.output).toEqual(['a CommonJS project > reads its package.json with readFileSync'])
      expect(run.passed).toEqual(['a CommonJS project > allows a blocking read', 'a CommonJS project > stats a file, allowed by its setup', 'reads asynchronously'])
      const error = run.error('a CommonJS project > reads its package.json with readFileSync')
      expect(error.name).toBe('BlockingIOError')
      expect(error.message).toMatch(/^1 blocking operation on the event loop during "a CommonJS project > reads its package.json with readFileSync"(?: \(and [^)]* not judged\))?\n\s+1\) fs\.readFileSync\(".*app\.test\.js"[^)]*\) blocked [\d.]+ ms — use fs\.promises\.readFile\n\s+at TestContext\.<anonymous> \(test\/app\.test\.js:9:8\)/)
      expect(run.code).toBe(1)
    })

    test('the run report counts each finding once', () => {
      const findings = run.report?.findings.map((f) => [f.test?.name, f.operation, f.allowed]) ?? []
      expect(findings.sort()).toEqual([
        ['a CommonJS project > allows a blocking read', 'fs.readFileSync', true],
        ['a CommonJS project > reads its package.json with readFileSync', 'fs.readFileSync', false],
        ['a CommonJS project > stats a file, allowed by its setup', 'fs.statSync', true],
      ])
      expect(run.stderr.match(/loopcop: 1 blocking call at 1 call site in 1 test/g)).toHaveLength(1)
      // One test tree: no second summary from a tree loopcop made in the wrong process.
      expect(run.stdout.match(/ℹ tests/g) ?? []).toHaveLength(0)
    })
  })
}

// pino-pretty's trial: `--import loopcop/node-test --require ./setup.cjs` was told to put
// `--import loopcop/node-test` first, which it was: Node loads every `--require` before any
// `--import`. The advice names `--require loopcop/node-test`, which loads first.
test('a set-up module given to --require loads before --import loopcop/node-test: the warning says to --require loopcop/node-test', async () => {
  const run = await runNodeTest('cjs', { name: 'builds-require-after-import', preload: ['loopcop/node-test', { require: './loopcop.setup.cjs' }] })
  expect(run.stderr, run.output).toContain('loopcop: loopcop.setup.cjs was loaded before loopcop/node-test')
  expect(run.stderr).toContain('with set-up modules given to `--require`, which Node loads before any `--import`, use `--require loopcop/node-test`, first among them')
  const fixed = await runNodeTest('cjs', { name: 'builds-require-first', preload: [{ require: 'loopcop/node-test' }, { require: './loopcop.setup.cjs' }] })
  expect(fixed.stderr, fixed.output).not.toContain('was loaded before loopcop/node-test')
}, 120_000)
