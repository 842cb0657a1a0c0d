// The CommonJS build's loader of the core (`dist/cjs/src/core.js`, written by scripts/build.mjs)
// runs the bundle through V8's code cache in the process's main realm, and `require`s it when it is
// loaded first from another realm (a Jest test file's, through Jest's registry): `vm.Script` would
// run the core in the main realm instead. Each case in a process of its own, from the packed
// tarball the global set-up installed.
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { installed } from '../helpers/run.js'

const loader = join(installed, 'dist', 'cjs', 'src', 'core.js')

/** Loads the CommonJS loader in the main realm, or (`inRealm`) as Jest's registry does: its text run in a context of its own with a `require` of the loader's. */
function load(inRealm: boolean): { readonly required: boolean; readonly detector: string } {
  const script = `
const { createRequire } = require('node:module')
const { readFileSync } = require('node:fs')
const { dirname } = require('node:path')
const vm = require('node:vm')
const loader = ${JSON.stringify(loader)}
const req = createRequire(loader)
let exports
if (${inRealm}) {
  const run = vm.runInContext('(function (exports, require, module, __filename, __dirname) {' + readFileSync(loader, 'utf8') + '\\n})', vm.createContext({}), { filename: loader })
  const module = { exports: {} }
  run(module.exports, req, module, loader, dirname(loader))
  exports = module.exports
} else exports = require(loader)
console.log(JSON.stringify({ required: req.cache[req.resolve('./core-bundle.js')] !== undefined, detector: typeof exports.detector }))`
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as { required: boolean; detector: string }
}

describe("the CommonJS build's core loader", () => {
  test('in the main realm: the core runs through the code cache, never `require`d', () => {
    expect(load(false)).toEqual({ required: false, detector: 'object' })
  })

  test('first loaded from another realm: the core is `require`d, as Jest runs a test file\'s modules', () => {
    expect(load(true)).toEqual({ required: true, detector: 'object' })
  })
})
