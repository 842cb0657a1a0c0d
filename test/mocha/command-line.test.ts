// Whether a Mocha run is the whole suite (for a baseline), read from its command line: watch mode is
// not (its reruns run what changed, its one report at Ctrl-C holds them all), as for the other runners.
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { completeRun, handsOutFiles } from '../../integrations/mocha/command-line.js'
import { root } from '../helpers/run.js'

/** A command line of the installed Mocha 12, as `process.argv` holds it (run in this repository, which configures no Mocha). */
const mocha = (...args: string[]): string[] => [process.execPath, join(root, 'node_modules', 'mocha', 'bin', 'mocha.js'), ...args]

test('--watch (or -w) makes a partial run; the same command line without it is complete', () => {
  expect(completeRun(mocha())).toBe(true)
  expect(completeRun(mocha('--watch'))).toBe('--watch')
  expect(completeRun(mocha('-w', '--reporter', 'dot'))).toBe('--watch')
  expect(completeRun(mocha('--no-watch'))).toBe(true)
})

// What loopcop/mocha says when the main process exits before the run's end: under --parallel a
// crashed worker is the likely cause (axios), not a test's process.exit().
test('handsOutFiles: the main process of a --parallel run, not a serial run, nor one whose options cannot be read', () => {
  expect(handsOutFiles(mocha('--parallel'))).toBe(true)
  expect(handsOutFiles(mocha())).toBe(false)
  expect(handsOutFiles([process.execPath, '/nowhere/mocha', '--parallel'])).toBe(false)
})
