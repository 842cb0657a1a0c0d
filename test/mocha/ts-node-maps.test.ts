import { expect, test } from 'vitest'
import { runMocha } from './support.js'

// rxjs (Mocha with `ts-node/register`): code under test that read `new Error().stack` failed its
// test with the existsSync and readFileSync calls of ts-node's fork of source-map-support, which
// formats the stack (`@cspotcode/source-map-support`): source-mapping machinery, as
// source-map-support's own is, allowed by the built-in rule. The fixture's stand-in reads files as it does.
test("what ts-node's source-map-support reads to format a stack is the built-in rule's, not the test's; the code's own read still fails its test", async () => {
  const run = await runMocha('ts-node-maps', [], { name: 'ts-node-maps', env: { LOOPCOP_STALL_MS: '100' } })
  expect(run.failed).toEqual(['ts-node maps reads a file'])
  expect(run.message('ts-node maps reads a file')).toContain('1 blocking operation on the event loop during "ts-node maps reads a file"')
  const findings = run.report?.findings ?? []
  expect(findings.filter((f) => !f.allowed).map((f) => [f.operation, f.location?.file, f.test?.name])).toEqual([['fs.readFileSync', 'src/lib.js', 'ts-node maps reads a file']])
  expect(findings.filter((f) => f.test?.name === 'ts-node maps reads a stack' && !f.allowed)).toEqual([])
  // The formatter's 300 ms parsing a source map is the runner's time, not a stall of the test that
  // read the stack (as under Jest: jscodeshift); loopcop wraps the formatter installed when the run starts.
  expect(findings.filter((f) => f.kind === 'stall'), JSON.stringify(findings)).toEqual([])
  expect(run.failed).not.toContain('ts-node maps reads the stack of an error whose file has a large source map')
})
