// What is --require'd before loopcop/mocha may hold fs functions loopcop cannot see: it says so,
// once, with the fix; with loopcop first there is nothing to say, and every call is seen. The copies
// of fs that graceful-fs and fs-extra took when a file loaded them before loopcop are reached: their
// calls are seen whatever the order.
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'
import { runMocha } from './support.js'

const warning = "loopcop: setup.cjs was loaded before loopcop/mocha: blocking calls through fs functions taken there (`const { readFileSync } = require('fs')`) are not seen."

/** The tests whose calls go through graceful-fs's copy of fs, which setup.cjs loads. */
const throughCopies = ["load order reads through the setup file's graceful-fs", "load order stats through the setup file's fs-extra"]

test.each([
  { label: 'serial', args: [] },
  { label: '--parallel', args: ['--parallel', '--jobs', '2'] },
])('a setup file required first ($label): one warning naming it and the fix; the calls through its graceful-fs and fs-extra are seen', async ({ args }) => {
  const run = await runMocha('loadorder', ['--require', './setup.cjs', '--require', 'loopcop/mocha', ...args, 'test/*.spec.js'], { name: `loadorder-late-${args.length}` })
  expect(run.stderr.split(warning)).toHaveLength(2)
  expect(run.stderr).toContain("Put 'loopcop/mocha' first in --require")
  // What the warning is about: the call through the function the setup file took was missed.
  expect(run.failed).toEqual(['load order reads through fs', ...throughCopies].sort())
  expect(run.message("load order reads through the setup file's graceful-fs")).toContain('fs.readFileSync')
  // fs-extra's statSync is graceful-fs's closure over fs.statSync, made before loopcop wrapped fs.
  expect(run.message("load order stats through the setup file's fs-extra")).toContain('fs.statSync')
}, 240_000)

test('loopcop/mocha required first: no warning, and the calls through the setup file are seen', async () => {
  const run = await runMocha('loadorder', ['--require', 'loopcop/mocha', '--require', './setup.cjs', 'test/*.spec.js'], { name: 'loadorder-first' })
  expect(run.stderr).not.toContain('were loaded before loopcop/mocha')
  expect(run.failed).toEqual(['load order reads through fs', 'load order reads through the setup file', ...throughCopies].sort())
}, 240_000)

// yargs: `.mocharc` requires loopcop/mocha first, the command line `--require ./test/before.mjs`;
// Mocha loads the command line's first. An ES module is not in the module cache: the options are read.
test.each([
  { label: 'serial', args: [] },
  { label: '--parallel', args: ['--parallel', '--jobs', '2'] },
])('loopcop/mocha first in the configuration, setup files on the command line ($label): the ES module is named too, with the command-line fix', async ({ args }) => {
  const run = await runMocha('loadorder', ['--config', 'loopcop.mocharc.json', '--require', './setup.mjs', '--require', './setup.cjs', ...args, 'test/*.spec.js'], { name: `loadorder-config-${args.length}` })
  const esmWarning = 'loopcop: setup.cjs, setup.mjs were loaded before loopcop/mocha: blocking calls through fs functions taken there'
  expect(run.stderr.split(esmWarning)).toHaveLength(2)
  expect(run.stderr).toContain("put '--require loopcop/mocha' first on the command line, or move those files into \"require\" of .mocharc, after 'loopcop/mocha'.")
  expect(run.stderr).not.toContain("Put 'loopcop/mocha' first in --require")
  // What the warning is about: the calls through the functions both setup files took were missed.
  expect(run.failed).toEqual(['load order reads through fs', ...throughCopies].sort())
}, 240_000)

test('an ES module setup file required after loopcop/mocha: no warning, and its calls are seen', async () => {
  const run = await runMocha('loadorder', ['--require', 'loopcop/mocha', '--require', './setup.mjs', 'test/*.spec.js'], { name: 'loadorder-esm-first' })
  expect(run.stderr).not.toContain('loaded before loopcop/mocha')
  expect(run.failed).toEqual(['load order reads through fs', 'load order reads through the ES module setup file'])
}, 240_000)

test('an ES module setup file required before loopcop/mocha on the command line: named, with the usual fix', async () => {
  const run = await runMocha('loadorder', ['--require', './setup.mjs', '--require', 'loopcop/mocha', 'test/*.spec.js'], { name: 'loadorder-esm-late' })
  expect(run.stderr).toContain('loopcop: setup.mjs was loaded before loopcop/mocha: blocking calls through fs functions taken there')
  expect(run.stderr).toContain("Put 'loopcop/mocha' first in --require")
  expect(run.failed).toEqual(['load order reads through fs'])
}, 240_000)

// express under nyc: nyc's require hook loads graceful-fs in the test process before Mocha runs. Its
// copy of fs is reached: the code under test's calls through it are seen, and there is nothing to say.
test('a tool that loaded graceful-fs before Mocha ran: the calls through its copy of fs are seen, with no warning', async () => {
  const covertool = join(fileURLToPath(import.meta.url), '..', '..', 'fixtures', 'mocha', 'loadorder', 'node_modules', 'covertool', 'index.js')
  const run = await runMocha('loadorder', ['--require', 'loopcop/mocha', 'test/*.spec.js'], { name: 'loadorder-preloaded', env: { NODE_OPTIONS: `--require ${covertool}` } })
  expect(run.stderr).not.toContain('loaded before loopcop/mocha')
  expect(run.stderr).not.toContain('loaded graceful-fs before')
  expect(run.failed).toEqual(['load order reads and stats through graceful-fs preloaded before Mocha', 'load order reads through fs'])
  const message = run.message('load order reads and stats through graceful-fs preloaded before Mocha')
  expect(message).toContain('fs.readFileSync')
  expect(message).toContain('fs.statSync')
}, 240_000)
