import { beforeAll, expect, test } from 'vitest'
import { type NodeTestRun, runNodeTest } from './support.js'

// A synchronous stretch of 600 ms against a 100 ms threshold: far enough apart for a loaded machine.
let run: NodeTestRun
beforeAll(async () => {
  run = await runNodeTest('stall', { name: 'stall', env: { LOOPCOP_STALL_MS: '100' }, files: ['test/stall.test.mjs'] })
})

test("a stall is told on the test that spun (stallMode 'warn', the default), with the line that was running", () => {
  expect(run.failed, run.output).toEqual([])
  // A diagnostic a line (node:test's reporters write each as one line).
  const diagnostics = run.test('spins for 600 ms').diagnostics
  expect(diagnostics.every((d) => !d.includes('\n'))).toBe(true)
  expect(diagnostics.join('\n')).toMatch(/^loopcop \(warn\): 1 event loop stall during "spins for 600 ms"(?: \(and [^)]* not judged\))?\n\s+1\) event loop stalled \d+ ms(?: of CPU time \(\d+ ms of wall time\))? \(threshold 100 ms\) — break the work [^\n]*\n\s+at spin \(src\/spin\.js:4:/)
  expect(run.report?.findings.filter((f) => f.kind === 'stall').map((f) => [f.test?.name, f.location?.file])).toEqual([['spins for 600 ms', 'src/spin.js']])
  expect(run.test('stays responsive').diagnostics).toEqual([])
})

// A module that loads slowly in the middle of a test's own work (fastify: ajv required on the first
// inject()): its loading is no stall, the test's own work around it is, judged at its own line. As
// a CommonJS module (timed by the loading clock) and as an ES module (told by the probe's stack).
test.each([20, 24] as const)("a require amid a test's own work, Node %i: the stall is the test's own work, at its line; a slow require before brief work is no stall", async (node) => {
  const loading = await runNodeTest('stall', { name: `loading-${node}`, node, env: { LOOPCOP_STALL_MS: '100' }, files: ['test/loading.test.mjs'] })
  expect(loading.failed, loading.output).toEqual([])
  // On a machine short of CPU the watchdog may look again only after the stall has ended, when its
  // first probe landed in the loading: the stall is the test's all the same, reported unjudged, saying so.
  const AGAIN_LATE = "the probe landed in a module's loading or a blocking call, and the stall had ended before it could look again"
  const found = (loading.report?.findings.filter((f) => f.kind === 'stall') ?? []).map((f) => [f.test?.name, f.unjudged ?? f.location?.file]).sort()
  expect(found.map(([name]) => name), loading.output).toEqual(['imports a slow CommonJS module amid its own work', 'imports a slow ES module amid its own work', 'loads a slow module amid its own work'])
  for (const [, where] of found) expect(['src/spin.js', AGAIN_LATE], loading.output).toContain(where)
  // An ES module's evaluation, which the loading clock does not time, is told by the probe's stack:
  // the stall is what ran after the probe that found the test's own code, at its line (the work
  // after the import; on a machine short of CPU the first probe may come before it, in the work before).
  const es = loading.report?.findings.find((f) => f.kind === 'stall' && f.test?.name === 'imports a slow ES module amid its own work')
  expect(es?.stack.find((frame) => frame.includes('test/loading.test.mjs')), loading.output).toMatch(/^TestContext\.<anonymous> \(test\/loading\.test\.mjs:(?:38|35):3\)$/)
  expect(loading.test('loads a slow module, then works briefly').diagnostics).toEqual([])
  expect(loading.test('imports a slow ES module, then works briefly').diagnostics).toEqual([])
})
