import crypto from 'node:crypto'
import fs from 'node:fs'
import { join } from 'node:path'
import zlib from 'node:zlib'
import { describe, expect, test, vi } from 'vitest'
import { configure, detect, detectSync, type Finding } from '../../src/index.js'
import { describeFinding } from '../../src/report/messages.js'
import { toJsonFinding } from '../../src/report/json.js'
import { detector } from '../../src/core.js'
import { callsOf, defaultsWithoutStalls, syncIo, tempDir } from './support.js'

defaultsWithoutStalls()
const dir = tempDir()
const file = join(dir, 'f.txt')
fs.writeFileSync(file, 'x')

describe('detect()', () => {
  test('resolves to findings, blocking ones and the value; never throws or prints because of a finding', async () => {
    const out = vi.spyOn(process.stdout, 'write')
    const err = vi.spyOn(process.stderr, 'write')
    try {
      for (const mode of ['fail', 'warn'] as const) {
        configure({ mode })
        const result = await detect(async () => {
          fs.statSync(file)
          await Promise.resolve()
          return 'value'
        })
        expect(result.value).toBe('value')
        expect(syncIo(result.findings).map((f) => f.operation)).toEqual(['fs.statSync'])
        expect(result.blocking).toEqual(result.findings)
      }
      expect(out).not.toHaveBeenCalled()
      expect(err).not.toHaveBeenCalled()
    } finally {
      out.mockRestore()
      err.mockRestore()
    }
  })

  test('passes the error fn throws or rejects with through, and closes its scope', async () => {
    const failure = new Error('fn failed')
    await expect(
      detect(() => {
        throw failure
      }),
    ).rejects.toBe(failure)
    await expect(detect(async () => Promise.reject(failure))).rejects.toBe(failure)
    expect(detector.currentScope()).toBeUndefined()
  })

  test('only the outermost blocking call is a finding (a recursive cpSync/rmSync is one call)', async () => {
    const tree = join(dir, 'tree')
    fs.mkdirSync(join(tree, 'a', 'b'), { recursive: true })
    for (const name of ['1', '2', '3']) fs.writeFileSync(join(tree, 'a', name), name)
    const { findings } = await detect(() => {
      fs.cpSync(tree, join(dir, 'copy'), { recursive: true })
      fs.rmSync(join(dir, 'copy'), { recursive: true })
      fs.readFileSync(file, 'utf8')
      fs.readFileSync(file)
    })
    expect(syncIo(findings).map((f) => [f.operation, f.calls])).toEqual([
      ['fs.cpSync', 1],
      ['fs.rmSync', 1],
      ['fs.readFileSync', 1],
      ['fs.readFileSync', 1],
    ])
    expect(fs.existsSync(join(dir, 'copy'))).toBe(false)
  })

  test('aggregates by call site, counting and timing every call', async () => {
    const { findings } = await detect(() => {
      for (let i = 0; i < 250; i++) fs.existsSync(file)
      fs.existsSync(file)
    })
    const found = syncIo(findings)
    expect(callsOf(found)).toBe(251)
    // The first 100 calls of the operation keep a stack (one site: the loop); once one of them is
    // not allowed, later calls are counted and timed only, wherever they come from (docs/architecture.md).
    expect(found.map((f) => [f.calls, f.unstacked])).toEqual([
      [100, false],
      [151, true],
    ])
    for (const f of found) {
      expect(f.durationMs).toBeGreaterThanOrEqual(f.maxMs)
      expect(f.maxMs).toBeGreaterThan(0)
    }
  })

  test('a site whose calls were given other arguments says how many, not the first one ×N (cosmiconfig: nine files, one line)', async () => {
    const names = ['a.json', 'b.json', 'c.json', 'a.json'].map((n) => join(dir, n))
    const { findings } = await detect(() => {
      for (const name of names) fs.existsSync(name)
      for (let i = 0; i < 2; i++) fs.existsSync(file)
    })
    const [varied, same] = syncIo(findings)
    expect([varied?.calls, varied?.args, varied?.otherArgs]).toEqual([4, names[0], 2])
    expect(describeFinding(varied as Finding)).toMatch(/^fs\.existsSync\(".*a\.json" and 2 others\) ×4 blocked /)
    expect(toJsonFinding(varied as Finding).otherArgs).toBe(2)
    expect([same?.calls, same?.otherArgs]).toEqual([2, undefined])
    expect(describeFinding(same as Finding)).toMatch(/^fs\.existsSync\(".*f\.txt"\) ×2 blocked /)
  })

  test('a size is given for zlib and crypto calls, as a buffer or as a number of bytes', async () => {
    const { findings } = await detect(() => {
      zlib.gzipSync('abc')
      crypto.randomBytes(32)
      crypto.randomFillSync(new Uint8Array(16))
      crypto.randomBytes(8, () => {})
    })
    expect(syncIo(findings).map((f) => [f.operation, f.args])).toEqual([
      ['zlib.gzipSync', '3 bytes'],
      ['crypto.randomBytes', '32 bytes'],
      ['crypto.randomFillSync', '16 bytes'],
    ])
  })
})

describe('detectSync()', () => {
  test('returns at once', () => {
    const result = detectSync(() => fs.readFileSync(file, 'utf8'))
    expect(result.value).toBe('x')
    expect(syncIo(result.findings).map((f) => f.operation)).toEqual(['fs.readFileSync'])
  })

  test('passes fn’s error through', () => {
    const failure = new Error('sync failure')
    expect(() =>
      detectSync(() => {
        throw failure
      }),
    ).toThrow(failure)
    expect(detector.currentScope()).toBeUndefined()
  })

  test('refuses a promise: use detect()', () => {
    expect(() => detectSync(async () => 1)).toThrow(new TypeError('`detectSync(fn)` got a promise from `fn`: use `await detect(fn)` for async code'))
    expect(() => detectSync(7 as unknown as () => void)).toThrow(new TypeError('Expected `detectSync` to get a function, got `7` (number)'))
  })
})
