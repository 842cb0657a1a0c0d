// What is --require'd before loopcop/mocha may hold fs functions loopcop cannot see: it says so,
// once, with the fix; with loopcop first there is nothing to say, and every call is seen.
import { expect, test } from 'vitest'
import { runMocha } from './support.js'

const warning = 'loopcop: setup.cjs, graceful-fs were loaded before loopcop/mocha: blocking calls through fs functions taken there'

test.each([
  { label: 'serial', args: [] },
  { label: '--parallel', args: ['--parallel', '--jobs', '2'] },
])('a setup file required first ($label): one warning naming it, graceful-fs and the fix', async ({ args }) => {
  const run = await runMocha('loadorder', ['--require', './setup.cjs', '--require', 'loopcop/mocha', ...args, 'test/*.spec.js'], { name: `loadorder-late-${args.length}` })
  expect(run.stderr.split(warning)).toHaveLength(2)
  expect(run.stderr).toContain("Put 'loopcop/mocha' first in --require")
  // What the warning is about: the calls through the setup file's copies were missed.
  expect(run.failed).toEqual(['load order reads through fs'])
}, 240_000)

test('loopcop/mocha required first: no warning, and the calls through the setup file are seen', async () => {
  const run = await runMocha('loadorder', ['--require', 'loopcop/mocha', '--require', './setup.cjs', 'test/*.spec.js'], { name: 'loadorder-first' })
  expect(run.stderr).not.toContain('were loaded before loopcop/mocha')
  expect(run.failed).toEqual(['load order reads through fs', 'load order reads through the setup file'])
}, 240_000)
