import { describe, expect, test } from 'vitest'
import { handsOutFiles } from '../../integrations/mocha/command-line.js'
import { bins } from '../helpers/run.js'

// What loopcop/mocha reads of Mocha's command line, through Mocha's own option loader (the bin's).
describe("Mocha's command line", () => {
  test('handsOutFiles: the main process of a --parallel run, not a serial run, nor one whose options cannot be read', () => {
    expect(handsOutFiles([process.execPath, bins.mocha, '--parallel', '--no-config', 'test/a.spec.js'])).toBe(true)
    expect(handsOutFiles([process.execPath, bins.mocha, '--no-config', 'test/a.spec.js'])).toBe(false)
    expect(handsOutFiles([process.execPath, '/nowhere/mocha', '--parallel'])).toBe(false)
  })
})
