// The copies of fs functions that graceful-fs and fs-extra took before loopcop wrapped fs get the
// wrappers (intercept/fs-copies.ts): a copy of fs's own function the wrapper fs got, a closure of
// graceful-fs's a wrapper of its own (shared with fs-extra's copy of it), and nothing that could
// count a call twice. The runs that reach real copies are also in test/mocha/load-order.test.ts.
import { execFileSync, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { assertInstalled, childEnv, fixtures, root } from '../helpers/run.js'
import { type CachedCopy, type CopyTools, reachFsCopies } from '../../src/intercept/fs-copies.js'
import { catalog } from '../../src/model/operation.js'
import type { Operation } from '../../src/model/operation.js'

const operations = new Map(catalog.filter((s) => s.module === 'fs').map((s) => [s.key, s.operation]))

function readFileSync(): string {
  return 'original'
}
function readFileSyncWrapper(): string {
  return 'wrapped'
}
/** graceful-fs's `statFixSync(fs.statSync)`: a closure over fs's original, made when it loaded. */
function statSync(): string {
  return 'closure'
}

/** Tools that record what was done, with fs's `readFileSync` wrapped. */
function tools(): CopyTools & { readonly wrapped: [string, Operation][] } {
  const wrapped: [string, Operation][] = []
  return {
    wrapped,
    wrappers: new Map<Function, Function>([[readFileSync, readFileSyncWrapper]]),
    use: (target, key, wrapper) => {
      Object.defineProperty(target, key, { ...Object.getOwnPropertyDescriptor(target, key), value: wrapper })
    },
    wrap: (target, key, operation) => {
      const wrapper = function wrapper(): string {
        return `wrapped ${operation.id}`
      }
      Object.defineProperty(target, key, { ...Object.getOwnPropertyDescriptor(target, key), value: wrapper })
      wrapped.push([key, operation])
      return wrapper
    },
  }
}

describe('reachFsCopies', () => {
  test("a copy of fs's own function gets the wrapper fs got; a closure of graceful-fs's, a wrapper of its own as its operation", () => {
    const gracefulFs = { readFileSync, statSync, gracefulify: () => {} }
    const t = tools()
    expect(reachFsCopies([{ pkg: 'graceful-fs', exports: gracefulFs }], operations, t)).toBe(2)
    expect(gracefulFs.readFileSync).toBe(readFileSyncWrapper)
    expect(t.wrapped.map(([key, operation]) => [key, operation.id])).toEqual([['statSync', 'fs.statSync']])
    expect(gracefulFs.statSync()).toBe('wrapped fs.statSync')
  })

  test("fs-extra's copies of graceful-fs's functions get graceful-fs's wrappers, the closure's included", () => {
    const gracefulFs = { readFileSync, statSync }
    const fsExtra = { readFileSync, statSync, readJsonSync: () => ({}) }
    const t = tools()
    const copies: CachedCopy[] = [
      { pkg: 'graceful-fs', exports: gracefulFs },
      { pkg: 'fs-extra', exports: fsExtra },
    ]
    expect(reachFsCopies(copies, operations, t)).toBe(4)
    expect(fsExtra.readFileSync).toBe(readFileSyncWrapper)
    expect(fsExtra.statSync).toBe(gracefulFs.statSync)
    expect(t.wrapped).toHaveLength(1)
  })

  test('a function of fs-extra that is no copy is left alone: only graceful-fs makes closures over fs', () => {
    const own = function statSync(): string {
      return 'fs-extra'
    }
    const fsExtra = { statSync: own }
    const t = tools()
    expect(reachFsCopies([{ pkg: 'fs-extra', exports: fsExtra }], operations, t)).toBe(0)
    expect(fsExtra.statSync).toBe(own)
  })

  test('a copy made after fs was wrapped (it holds the wrapper) and a frozen property are left alone', () => {
    const gracefulFs = { readFileSync: readFileSyncWrapper }
    Object.defineProperty(gracefulFs, 'statSync', { value: statSync, writable: false, configurable: false, enumerable: true })
    const t = tools()
    expect(reachFsCopies([{ pkg: 'graceful-fs', exports: gracefulFs }], operations, t)).toBe(0)
    expect(gracefulFs.readFileSync).toBe(readFileSyncWrapper)
    expect((gracefulFs as { statSync?: unknown }).statSync).toBe(statSync)
    expect(t.wrapped).toHaveLength(0)
  })
})

// The installed package in a process that loaded graceful-fs first (as nyc's hook does): its copy of
// fs is reached at install, its `statSync` closure included, and again after deactivate()/activate(),
// each call counted once, a copy loaded while loopcop was on (a closure over a wrapper) too.
describe('a process that loaded graceful-fs before loopcop', () => {
  const script = `
const gracefulFs = require('graceful-fs')
const loopcop = require('loopcop')
const file = require.resolve('graceful-fs')
const calls = (copy) => {
  const { findings } = loopcop.detectSync(() => {
    copy.readFileSync(file)
    copy.statSync(file)
  })
  return findings.filter((f) => f.kind === 'sync-io').map((f) => [f.operation, f.calls]).sort()
}
const first = calls(gracefulFs)
// Another install of graceful-fs, loaded while loopcop is on: its statSync closure is over a wrapper.
const path = require('node:path')
const other = path.join(require('node:fs').mkdtempSync(path.join(require('node:os').tmpdir(), 'loopcop-gfs-')), 'node_modules', 'graceful-fs')
require('node:fs').cpSync(path.dirname(file), other, { recursive: true })
const later = require(other)
loopcop.deactivate()
const fs = require('node:fs')
const off = [gracefulFs.readFileSync === fs.readFileSync, gracefulFs.statSync === fs.statSync]
loopcop.activate()
console.log(JSON.stringify({ first, off, again: calls(gracefulFs), later: calls(later) }))
require('node:fs').rmSync(path.dirname(path.dirname(other)), { recursive: true })
`

  test('counts each call through its copy once, before and after deactivate() and activate()', () => {
    assertInstalled()
    const out = execFileSync(process.execPath, ['-e', script], { cwd: root, env: childEnv({ NODE_PATH: join(fixtures, 'node_modules'), LOOPCOP_STALL_MS: '0' }), encoding: 'utf8' })
    const { first, off, again, later } = JSON.parse(out) as { first: unknown; off: unknown; again: unknown; later: unknown }
    const expected = [
      ['fs.readFileSync', 1],
      ['fs.statSync', 1],
    ]
    expect(first).toEqual(expected)
    // deactivate() put back what graceful-fs held: fs's own readFileSync, and its own statSync closure.
    expect(off).toEqual([true, false])
    expect(again).toEqual(expected)
    // The copy loaded while loopcop was on (its closure over a wrapper, wrapped again) counts each call once, not twice.
    expect(later).toEqual(expected)
  })
})

// A copy whose exports refuse a wrapper (an odd shape: here a proxy that throws) does not stop
// loopcop: it says so once, as its own failure, and every other call is checked.
test('a copy that cannot be reached is loopcop\'s own error, said once, and loopcop is installed', () => {
  assertInstalled()
  const script = `
const fs = require('node:fs')
const path = require('node:path')
const dir = path.join(fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'loopcop-odd-')), 'node_modules', 'graceful-fs')
fs.mkdirSync(dir, { recursive: true })
fs.writeFileSync(path.join(dir, 'index.js'), "module.exports = new Proxy({ readFileSync: require('node:fs').readFileSync }, { defineProperty() { throw new Error('refused') } })")
require(dir)
const loopcop = require('loopcop')
const { findings } = loopcop.detectSync(() => fs.statSync(dir))
console.log(JSON.stringify({ active: loopcop.isActive(), operations: findings.map((f) => f.operation) }))
fs.rmSync(path.dirname(path.dirname(dir)), { recursive: true })
`
  const run = spawnSync(process.execPath, ['-e', script], { cwd: root, env: childEnv({ NODE_PATH: join(fixtures, 'node_modules'), LOOPCOP_STALL_MS: '0' }), encoding: 'utf8' })
  expect(run.status).toBe(0)
  expect(JSON.parse(run.stdout)).toEqual({ active: true, operations: ['fs.statSync'] })
  expect(run.stderr.split('loopcop could not reach the copy of fs that graceful-fs or fs-extra took before loopcop loaded')).toHaveLength(2)
  expect(run.stderr).toContain('loopcop: internal error')
})
